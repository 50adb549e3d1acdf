-- Rectification per year and quarter (测评整改), as of each quarter's last day D. A system
-- counts for year Y when its latest assessment on or before D was made in Y; its
-- rectification is complete when that assessment has at least one finding and every one
-- has fixed_on <= D (DATA_MODEL.md). departments/units/systems: distinct, with
-- rectification complete. findings: of those assessments; fixed by D; overdue: due before
-- D and not fixed by D.
-- (The grid is one DISTINCT over (year, quarter): a DISTINCT year cross-joined with the
-- quarters lets DataFusion 55 treat year as a key of the product and drop `quarter` from
-- an ORDER BY.)
WITH grid AS (
    SELECT DISTINCT a.year, CAST(q.quarter AS TINYINT) AS quarter,
           CAST(make_date(a.year, q.quarter * 3, 1) + INTERVAL '1 month' - INTERVAL '1 day' AS DATE) AS quarter_end
    FROM assessments a CROSS JOIN (VALUES (1), (2), (3), (4)) AS q(quarter)
),
ranked AS (
    SELECT g.year, g.quarter, g.quarter_end, a.assessment_id, a.system_id, a.department, a.unit,
           a.year AS assessed_year,
           ROW_NUMBER() OVER (PARTITION BY g.year, g.quarter, a.system_id
                              ORDER BY a.assessed_on DESC, a.assessment_id DESC) AS rn
    FROM grid g
    JOIN assessments_enriched a ON a.assessed_on <= g.quarter_end
),
per_system AS (
    SELECT r.year, r.quarter, r.system_id, r.department, r.unit,
           COUNT(f.finding_id) AS findings,
           SUM(CASE WHEN f.fixed_on <= r.quarter_end THEN 1 ELSE 0 END) AS fixed,
           SUM(CASE WHEN f.due_on < r.quarter_end AND (f.fixed_on IS NULL OR f.fixed_on > r.quarter_end)
                    THEN 1 ELSE 0 END) AS overdue
    FROM ranked r
    LEFT JOIN findings f ON f.assessment_id = r.assessment_id
    WHERE r.rn = 1 AND r.assessed_year = r.year
    GROUP BY r.year, r.quarter, r.system_id, r.department, r.unit
)
SELECT g.year,
       g.quarter,
       g.quarter_end,
       COUNT(DISTINCT CASE WHEN s.findings > 0 AND s.fixed = s.findings THEN s.department END) AS departments,
       COUNT(DISTINCT CASE WHEN s.findings > 0 AND s.fixed = s.findings THEN s.unit END) AS units,
       COUNT(DISTINCT CASE WHEN s.findings > 0 AND s.fixed = s.findings THEN s.system_id END) AS systems,
       COUNT(DISTINCT s.system_id) AS systems_assessed,
       CAST(COALESCE(SUM(s.findings), 0) AS BIGINT) AS findings,
       CAST(COALESCE(SUM(s.fixed), 0) AS BIGINT) AS findings_fixed,
       CAST(COALESCE(SUM(s.overdue), 0) AS BIGINT) AS findings_overdue
FROM grid g
LEFT JOIN per_system s ON s.year = g.year AND s.quarter = g.quarter
GROUP BY g.year, g.quarter, g.quarter_end
