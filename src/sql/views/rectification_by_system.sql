-- Rectification per year, quarter and system, as of each quarter's last day D: the systems
-- whose latest assessment on or before D was made in that year, with that assessment's
-- findings, how many were fixed by D, how many are overdue, and whether the system's
-- rectification is complete (at least one finding, all fixed by D). `rectification_progress`
-- counts these rows.
-- (The grid is one DISTINCT over (year, quarter): a DISTINCT year cross-joined with the
-- quarters lets DataFusion 55 treat year as a key of the product and drop `quarter` from
-- an ORDER BY.)
WITH grid AS (
    SELECT DISTINCT a.year, CAST(q.quarter AS TINYINT) AS quarter,
           CAST(make_date(a.year, q.quarter * 3, 1) + INTERVAL '1 month' - INTERVAL '1 day' AS DATE) AS quarter_end
    FROM assessments a CROSS JOIN (VALUES (1), (2), (3), (4)) AS q(quarter)
),
ranked AS (
    SELECT g.year, g.quarter, g.quarter_end, a.assessment_id, a.system_id, a.department, a.unit, a.system,
           a.year AS assessed_year,
           ROW_NUMBER() OVER (PARTITION BY g.year, g.quarter, a.system_id
                              ORDER BY a.assessed_on DESC, a.assessment_id DESC) AS rn
    FROM grid g
    JOIN assessments_enriched a ON a.assessed_on <= g.quarter_end
),
per_system AS (
    SELECT r.year, r.quarter, r.quarter_end, r.system_id, r.department, r.unit, r.system, r.assessment_id,
           COUNT(f.finding_id) AS findings,
           SUM(CASE WHEN f.fixed_on <= r.quarter_end THEN 1 ELSE 0 END) AS fixed,
           SUM(CASE WHEN f.due_on < r.quarter_end AND (f.fixed_on IS NULL OR f.fixed_on > r.quarter_end)
                    THEN 1 ELSE 0 END) AS overdue
    FROM ranked r
    LEFT JOIN findings f ON f.assessment_id = r.assessment_id
    WHERE r.rn = 1 AND r.assessed_year = r.year
    GROUP BY r.year, r.quarter, r.quarter_end, r.system_id, r.department, r.unit, r.system, r.assessment_id
)
SELECT year, quarter, quarter_end, system_id, department, unit, system, assessment_id,
       CAST(findings AS BIGINT) AS findings,
       CAST(COALESCE(fixed, 0) AS BIGINT) AS findings_fixed,
       CAST(COALESCE(overdue, 0) AS BIGINT) AS findings_overdue,
       findings > 0 AND fixed = findings AS complete
FROM per_system
