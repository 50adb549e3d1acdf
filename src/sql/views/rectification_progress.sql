-- view: rectification_progress
-- label: 分季度整改进度 | Rectification by quarter
-- description: Rectification per year and quarter (测评整改), as of each quarter's last day D. A system
-- counts for year Y when its latest assessment on or before D was made in Y; its
-- rectification is complete when that assessment has at least one finding and every one
-- has fixed_on <= D (DATA_MODEL.md). departments/units/systems: distinct, with
-- rectification complete; systems_assessed: systems counted; findings: of those
-- assessments; fixed by D; overdue: due (or, extended, due by the extension) before D and
-- not fixed by D; extended: with an approved extension (延期), counted whatever else they
-- are. Inspection (安全检查) and monitoring (安全监测) findings found in the year are counted
-- beside them (findings_by_source: found, fixed, overdue). Per-system rows:
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
-- column findings_extended: 已延期问题数 | of the assessment findings, those with an approved extension (延期) | short: 已延期
-- column inspection_findings: 安全检查问题数 | inspection findings found in the year by the quarter's end | short: 检查问题
-- column inspection_fixed: 安全检查已整改 | of them, fixed | short: 检查已改
-- column inspection_overdue: 安全检查逾期 | of them, overdue | short: 检查逾期
-- column inspection_extended: 安全检查已延期 | of them, with an approved extension | short: 检查延期
-- column monitoring_findings: 安全监测问题数 | monitoring findings found in the year by the quarter's end | short: 监测问题
-- column monitoring_fixed: 安全监测已整改 | of them, fixed | short: 监测已改
-- column monitoring_overdue: 安全监测逾期 | of them, overdue | short: 监测逾期
-- column monitoring_extended: 安全监测已延期 | of them, with an approved extension | short: 监测延期
-- column findings_overdue: 逾期未整改问题数 | findings past their deadline and not fixed by the date | short: 逾期未改
WITH grid AS (
    -- (years from a GROUP BY of two columns, not a DISTINCT year: DataFusion 55 carries a
    -- DISTINCT year's uniqueness through the CROSS JOIN, then drops `quarter` from an
    -- ORDER BY year, quarter and merges quarters in a GROUP BY)
    SELECT DISTINCT y.year, CAST(q.quarter AS TINYINT) AS quarter,
           CAST(make_date(y.year, q.quarter * 3, 1) + INTERVAL '1 month' - INTERVAL '1 day' AS DATE) AS quarter_end
    -- (and the years of inspection and monitoring findings, which have no assessment)
    FROM (SELECT year, quarter FROM assessments GROUP BY year, quarter
          UNION ALL
          SELECT CAST(EXTRACT(YEAR FROM found_on) AS INT), CAST(1 AS TINYINT) FROM findings
          WHERE source IN ('inspection', 'monitoring') AND found_on IS NOT NULL
          GROUP BY CAST(EXTRACT(YEAR FROM found_on) AS INT)) y
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
           SUM(findings_overdue) AS findings_overdue,
           SUM(findings_extended) AS findings_extended
    FROM rectification_by_system
    GROUP BY year, quarter
),
others AS (
    -- inspection and monitoring findings found in the year (findings_by_source)
    SELECT year, quarter,
           SUM(CASE WHEN source = 'inspection' THEN findings ELSE 0 END) AS inspection_findings,
           SUM(CASE WHEN source = 'inspection' THEN findings_fixed ELSE 0 END) AS inspection_fixed,
           SUM(CASE WHEN source = 'inspection' THEN findings_overdue ELSE 0 END) AS inspection_overdue,
           SUM(CASE WHEN source = 'monitoring' THEN findings ELSE 0 END) AS monitoring_findings,
           SUM(CASE WHEN source = 'monitoring' THEN findings_fixed ELSE 0 END) AS monitoring_fixed,
           SUM(CASE WHEN source = 'monitoring' THEN findings_overdue ELSE 0 END) AS monitoring_overdue,
           SUM(CASE WHEN source = 'inspection' THEN findings_extended ELSE 0 END) AS inspection_extended,
           SUM(CASE WHEN source = 'monitoring' THEN findings_extended ELSE 0 END) AS monitoring_extended
    FROM findings_by_source
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
       CAST(COALESCE(p.findings_overdue, 0) AS BIGINT) AS findings_overdue,
       CAST(COALESCE(p.findings_extended, 0) AS BIGINT) AS findings_extended,
       CAST(COALESCE(o.inspection_findings, 0) AS BIGINT) AS inspection_findings,
       CAST(COALESCE(o.inspection_fixed, 0) AS BIGINT) AS inspection_fixed,
       CAST(COALESCE(o.inspection_overdue, 0) AS BIGINT) AS inspection_overdue,
       CAST(COALESCE(o.inspection_extended, 0) AS BIGINT) AS inspection_extended,
       CAST(COALESCE(o.monitoring_findings, 0) AS BIGINT) AS monitoring_findings,
       CAST(COALESCE(o.monitoring_fixed, 0) AS BIGINT) AS monitoring_fixed,
       CAST(COALESCE(o.monitoring_overdue, 0) AS BIGINT) AS monitoring_overdue,
       CAST(COALESCE(o.monitoring_extended, 0) AS BIGINT) AS monitoring_extended
FROM grid g
LEFT JOIN per_quarter p ON p.year = g.year AND p.quarter = g.quarter
LEFT JOIN others o ON o.year = g.year AND o.quarter = g.quarter
