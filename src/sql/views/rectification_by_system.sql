-- view: rectification_by_system
-- label: 分系统整改进度 | Rectification by system
-- description: Rectification per year, quarter and system, as of each quarter's last day D: the systems
-- whose latest assessment on or before D was made in that year, with that assessment's
-- findings, how many were fixed by D, how many are overdue, and whether the system's
-- rectification is complete (at least one finding, all fixed by D). Overdue is judged
-- against an approved extension (延期) when there is one, and extended findings are counted
-- apart. `rectification_progress` counts these rows.
-- An assessment is a system's latest on every day from its date until the system's next
-- assessment (by date, then report number); within its own year that is an equi-join on
-- the year and a test of the two dates, not a join of every assessment with every quarter.
-- column year: 计划年度 | plan year | short: 年度
-- column quarter: 季度 | quarter of assessed_on
-- column quarter_end: 季度末 | last day of the quarter | short: 季末
-- column system_id: 系统标识 | filing number (备案编号) when given, else a key from normalised unit + system
-- column department: 主管部门 | competent department, normalised name
-- column unit: 预算单位 | budget unit, normalised name
-- column system: 系统名称 | system name, normalised
-- column assessment_id: 报告编号 | report number; derived from system and date when absent
-- column findings: 问题数 | findings of the assessment counted
-- column findings_fixed: 已整改问题数 | findings fixed by the date | short: 已整改
-- column findings_extended: 已延期问题数 | findings with an approved extension (延期) | short: 已延期
-- column findings_overdue: 逾期未整改问题数 | findings past their deadline and not fixed by the date | short: 逾期未改
-- column complete: 整改完成 | at least one finding and all fixed by the date
WITH grid AS (
    -- (years from a GROUP BY of two columns, not a DISTINCT year: DataFusion 55 carries a
    -- DISTINCT year's uniqueness through the CROSS JOIN, then drops `quarter` from an
    -- ORDER BY year, quarter and merges quarters in a GROUP BY)
    SELECT DISTINCT y.year, CAST(q.quarter AS TINYINT) AS quarter,
           CAST(make_date(y.year, q.quarter * 3, 1) + INTERVAL '1 month' - INTERVAL '1 day' AS DATE) AS quarter_end
    FROM (SELECT year, quarter FROM assessments GROUP BY year, quarter) y
    CROSS JOIN (VALUES (1), (2), (3), (4)) AS q(quarter)
),
spans AS (
    -- each assessment and the date of the next one of the same system in the same year
    SELECT a.assessment_id, a.year, a.assessed_on, MIN(b.assessed_on) AS next_on
    FROM assessments a
    LEFT JOIN assessments b
      ON b.system_id = a.system_id AND b.year = a.year
     AND (b.assessed_on > a.assessed_on OR (b.assessed_on = a.assessed_on AND b.assessment_id > a.assessment_id))
    GROUP BY a.assessment_id, a.year, a.assessed_on
),
latest AS (
    SELECT g.year, g.quarter, g.quarter_end, s.assessment_id
    FROM spans s
    JOIN grid g ON g.year = s.year
    WHERE s.assessed_on <= g.quarter_end AND (s.next_on IS NULL OR s.next_on > g.quarter_end)
),
findings_by_quarter AS (
    -- each assessment's findings, and how many were fixed and overdue as of each quarter
    -- end of its year (one row per assessment, not one per assessment and quarter)
    SELECT a.assessment_id,
           COUNT(f.finding_id) AS findings,
           SUM(CASE WHEN f.fixed_on <= make_date(a.year, 3, 31) THEN 1 ELSE 0 END) AS fixed_1,
           SUM(CASE WHEN f.fixed_on <= make_date(a.year, 6, 30) THEN 1 ELSE 0 END) AS fixed_2,
           SUM(CASE WHEN f.fixed_on <= make_date(a.year, 9, 30) THEN 1 ELSE 0 END) AS fixed_3,
           SUM(CASE WHEN f.fixed_on <= make_date(a.year, 12, 31) THEN 1 ELSE 0 END) AS fixed_4,
           SUM(CASE WHEN COALESCE(f.extended_to, f.due_on) < make_date(a.year, 3, 31) AND (f.fixed_on IS NULL OR f.fixed_on > make_date(a.year, 3, 31)) THEN 1 ELSE 0 END) AS overdue_1,
           SUM(CASE WHEN COALESCE(f.extended_to, f.due_on) < make_date(a.year, 6, 30) AND (f.fixed_on IS NULL OR f.fixed_on > make_date(a.year, 6, 30)) THEN 1 ELSE 0 END) AS overdue_2,
           SUM(CASE WHEN COALESCE(f.extended_to, f.due_on) < make_date(a.year, 9, 30) AND (f.fixed_on IS NULL OR f.fixed_on > make_date(a.year, 9, 30)) THEN 1 ELSE 0 END) AS overdue_3,
           SUM(CASE WHEN COALESCE(f.extended_to, f.due_on) < make_date(a.year, 12, 31) AND (f.fixed_on IS NULL OR f.fixed_on > make_date(a.year, 12, 31)) THEN 1 ELSE 0 END) AS overdue_4,
           SUM(CASE WHEN f.extended_to IS NOT NULL THEN 1 ELSE 0 END) AS extended
    FROM findings f
    JOIN assessments a ON a.assessment_id = f.assessment_id
    GROUP BY a.assessment_id
),
per_assessment AS (
    SELECT l.year, l.quarter, l.quarter_end, l.assessment_id,
           COALESCE(c.findings, 0) AS findings,
           CASE l.quarter WHEN 1 THEN c.fixed_1 WHEN 2 THEN c.fixed_2 WHEN 3 THEN c.fixed_3 ELSE c.fixed_4 END AS fixed,
           CASE l.quarter WHEN 1 THEN c.overdue_1 WHEN 2 THEN c.overdue_2 WHEN 3 THEN c.overdue_3 ELSE c.overdue_4 END AS overdue,
           c.extended
    FROM latest l
    LEFT JOIN findings_by_quarter c ON c.assessment_id = l.assessment_id
)
SELECT c.year, c.quarter, c.quarter_end, e.system_id, e.department, e.unit, e.system, c.assessment_id,
       CAST(c.findings AS BIGINT) AS findings,
       CAST(COALESCE(c.fixed, 0) AS BIGINT) AS findings_fixed,
       CAST(COALESCE(c.overdue, 0) AS BIGINT) AS findings_overdue,
       CAST(COALESCE(c.extended, 0) AS BIGINT) AS findings_extended,
       c.findings > 0 AND c.fixed = c.findings AS complete
FROM per_assessment c
JOIN assessments_enriched e ON e.assessment_id = c.assessment_id
