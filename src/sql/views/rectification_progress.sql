-- view: rectification_progress
-- label: 分季度整改进度 | Rectification by quarter
-- description: Rectification per year and quarter (测评整改), as of each quarter's last day D. A system
-- counts for year Y when its latest assessment on or before D was made in Y; its
-- rectification is complete when that assessment has at least one finding and every one
-- has fixed_on <= D (DATA_MODEL.md). departments/units/systems: distinct, with
-- rectification complete; systems_assessed: systems counted; findings: of those
-- assessments; fixed by D; overdue: due before D and not fixed by D. Per-system rows:
-- rectification_by_system.
-- column year: 计划年度 | plan year | short: 年度
-- column quarter: 季度 | quarter of assessed_on
-- column quarter_end: 季度末 | last day of the quarter | short: 季末
-- column departments: 主管部门数 | distinct normalised departments
-- column units: 预算单位数 | distinct normalised budget units
-- column systems: 系统数 | distinct systems
-- column systems_assessed: 已测系统数 | distinct systems assessed | short: 已测系统
-- column findings: 问题数 | findings of the assessment counted
-- column findings_fixed: 已整改问题数 | findings fixed by the date | short: 已整改
-- column findings_overdue: 逾期未整改问题数 | findings past their deadline and not fixed by the date | short: 逾期未改
WITH grid AS (
    -- (years from a GROUP BY of two columns, not a DISTINCT year: DataFusion 55 carries a
    -- DISTINCT year's uniqueness through the CROSS JOIN, then drops `quarter` from an
    -- ORDER BY year, quarter and merges quarters in a GROUP BY)
    SELECT DISTINCT y.year, CAST(q.quarter AS TINYINT) AS quarter,
           CAST(make_date(y.year, q.quarter * 3, 1) + INTERVAL '1 month' - INTERVAL '1 day' AS DATE) AS quarter_end
    FROM (SELECT year, quarter FROM assessments GROUP BY year, quarter) y
    CROSS JOIN (VALUES (1), (2), (3), (4)) AS q(quarter)
),
per_quarter AS (
    -- aggregated before the join with the grid, so the hash join builds the grid's few rows,
    -- not rectification_by_system's 2 million at L (docs/PERFORMANCE.md)
    SELECT year, quarter,
           COUNT(DISTINCT CASE WHEN complete THEN department END) AS departments,
           COUNT(DISTINCT CASE WHEN complete THEN unit END) AS units,
           -- rectification_by_system has one row per year, quarter and system, so counting
           -- its rows is the distinct count of systems (tests check that key)
           COUNT(CASE WHEN complete THEN system_id END) AS systems,
           COUNT(system_id) AS systems_assessed,
           SUM(findings) AS findings,
           SUM(findings_fixed) AS findings_fixed,
           SUM(findings_overdue) AS findings_overdue
    FROM rectification_by_system
    GROUP BY year, quarter
)
SELECT g.year,
       g.quarter,
       g.quarter_end,
       COALESCE(p.departments, 0) AS departments,
       COALESCE(p.units, 0) AS units,
       COALESCE(p.systems, 0) AS systems,
       COALESCE(p.systems_assessed, 0) AS systems_assessed,
       CAST(COALESCE(p.findings, 0) AS BIGINT) AS findings,
       CAST(COALESCE(p.findings_fixed, 0) AS BIGINT) AS findings_fixed,
       CAST(COALESCE(p.findings_overdue, 0) AS BIGINT) AS findings_overdue
FROM grid g
LEFT JOIN per_quarter p ON p.year = g.year AND p.quarter = g.quarter
