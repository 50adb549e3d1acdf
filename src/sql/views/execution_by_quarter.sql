-- view: execution_by_quarter
-- label: 分季度测评实施 | Execution by quarter
-- description: Execution per year and quarter (测评实施): distinct departments, units and systems assessed
-- in the quarter (by report date); systems assessed so far that year (cumulative);
-- the current plan's systems; planned systems assessed so far; completion rate =
-- planned systems assessed so far / planned systems. Every quarter of every year with a
-- plan or an assessment has a row.
-- column year: 计划年度 | plan year | short: 年度
-- column quarter: 季度 | quarter of assessed_on
-- column departments: 主管部门数 | distinct normalised departments
-- column units: 预算单位数 | distinct normalised budget units
-- column systems: 系统数 | distinct systems
-- column unplanned_systems: 计划外测评系统数 | systems assessed that the year's current plan does not list | short: 计划外系统
-- column cumulative_systems: 累计测评系统数 | distinct systems assessed in the year up to this quarter | short: 累计系统
-- column planned_systems: 计划系统数 | distinct systems in the year's current plan | short: 计划系统
-- column planned_systems_assessed: 计划内已测系统数 | planned systems assessed so far | short: 计划内已测
-- column completion_rate: 完成率 | systems assessed so far / systems planned
WITH grid AS (
    -- (years from a GROUP BY of two columns, not a DISTINCT year: DataFusion 55 carries a
    -- DISTINCT year's uniqueness through the CROSS JOIN, then drops `quarter` from an
    -- ORDER BY year, quarter and merges quarters in a GROUP BY)
    SELECT DISTINCT y.year, CAST(q.quarter AS TINYINT) AS quarter
    FROM (SELECT year, revision FROM plan_items GROUP BY year, revision
          UNION ALL
          SELECT year, quarter FROM assessments GROUP BY year, quarter) y
    CROSS JOIN (VALUES (1), (2), (3), (4)) AS q(quarter)
),
in_quarter AS (
    SELECT year, quarter,
           COUNT(DISTINCT department) AS departments,
           COUNT(DISTINCT unit) AS units,
           COUNT(DISTINCT system_id) AS systems,
           COUNT(DISTINCT CASE WHEN NOT planned THEN system_id END) AS unplanned_systems
    FROM assessments_enriched
    GROUP BY year, quarter
),
first_assessed AS (
    -- the quarter each system was first assessed in the year: it counts from then on
    -- (from `assessments`: only the system and its date matter here, not the names
    -- assessments_enriched fills in)
    SELECT year, system_id, MIN(quarter) AS quarter
    FROM assessments
    GROUP BY year, system_id
),
firsts AS (
    -- planned: in the current plan of the year, as assessments_enriched.planned
    SELECT f.year, f.quarter, COUNT(*) AS systems, COUNT(cp.system_id) AS planned_systems
    FROM first_assessed f
    LEFT JOIN (SELECT DISTINCT year, system_id FROM plan_items_current) cp
      ON cp.year = f.year AND cp.system_id = f.system_id
    GROUP BY f.year, f.quarter
),
so_far AS (
    SELECT g.year, g.quarter,
           CAST(COALESCE(SUM(f.systems), 0) AS BIGINT) AS cumulative_systems,
           CAST(COALESCE(SUM(f.planned_systems), 0) AS BIGINT) AS planned_systems_assessed
    FROM grid g
    LEFT JOIN firsts f ON f.year = g.year AND f.quarter <= g.quarter
    GROUP BY g.year, g.quarter
),
planned AS (
    SELECT year, COUNT(DISTINCT system_id) AS planned_systems FROM plan_items_current GROUP BY year
)
SELECT g.year,
       g.quarter,
       COALESCE(q.departments, 0) AS departments,
       COALESCE(q.units, 0) AS units,
       COALESCE(q.systems, 0) AS systems,
       COALESCE(q.unplanned_systems, 0) AS unplanned_systems,
       s.cumulative_systems,
       COALESCE(p.planned_systems, 0) AS planned_systems,
       s.planned_systems_assessed,
       CASE WHEN p.planned_systems > 0
            THEN ROUND(CAST(s.planned_systems_assessed AS DOUBLE) / p.planned_systems, 4) END AS completion_rate
FROM grid g
LEFT JOIN in_quarter q ON q.year = g.year AND q.quarter = g.quarter
LEFT JOIN so_far s ON s.year = g.year AND s.quarter = g.quarter
LEFT JOIN planned p ON p.year = g.year
