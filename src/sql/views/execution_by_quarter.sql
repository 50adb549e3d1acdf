-- Execution per year and quarter (测评实施): distinct departments, units and systems assessed
-- in the quarter (by report date); systems assessed so far that year (cumulative);
-- the current plan's systems; planned systems assessed so far; completion rate =
-- planned systems assessed so far / planned systems. Every quarter of every year with a
-- plan or an assessment has a row.
WITH grid AS (
    -- One DISTINCT over (year, quarter), not DISTINCT years cross-joined: see rectification_progress.sql.
    SELECT DISTINCT y.year, CAST(q.quarter AS TINYINT) AS quarter
    FROM (SELECT year FROM plan_items_current UNION ALL SELECT year FROM assessments) y
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
so_far AS (
    SELECT g.year, g.quarter,
           COUNT(DISTINCT a.system_id) AS cumulative_systems,
           COUNT(DISTINCT CASE WHEN a.planned THEN a.system_id END) AS planned_systems_assessed
    FROM grid g
    LEFT JOIN assessments_enriched a ON a.year = g.year AND a.quarter <= g.quarter
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
