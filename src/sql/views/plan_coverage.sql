-- view: plan_coverage
-- label: 测评预告覆盖 | Preview plan coverage
-- description: Plan coverage per year (测评预告): distinct departments, budget units and systems in the
-- year's current plan revision (its highest: plan_items_current). Units and departments
-- are counted by normalised name, systems by system_id.
-- (Each distinct count is a GROUP BY of its own per year and revision, then the current
-- revision's row is picked: one hash table of names at a time and no join of the plan's
-- rows, where three COUNT(DISTINCT …) in one aggregate over plan_items_current held three
-- sets per partition and the join's build side; docs/PERFORMANCE.md.)
-- column year: 计划年度 | plan year | short: 年度
-- column revision: 修订版次 | 1 for the first published preview of the year, +1 per re-issued workbook | short: 版次
-- column departments: 主管部门数 | distinct normalised departments
-- column units: 预算单位数 | distinct normalised budget units
-- column systems: 系统数 | distinct systems
SELECT y.year,
       y.revision,
       COALESCE(d.departments, 0) AS departments,
       COALESCE(u.units, 0) AS units,
       COALESCE(s.systems, 0) AS systems
FROM (SELECT year, MAX(revision) AS revision FROM plan_items GROUP BY year) y
LEFT JOIN (SELECT year, revision, COUNT(*) AS departments
           FROM (SELECT year, revision, department FROM plan_items
                 WHERE department IS NOT NULL GROUP BY year, revision, department) x
           GROUP BY year, revision) d ON d.year = y.year AND d.revision = y.revision
LEFT JOIN (SELECT year, revision, COUNT(*) AS units
           FROM (SELECT year, revision, unit FROM plan_items
                 WHERE unit IS NOT NULL GROUP BY year, revision, unit) x
           GROUP BY year, revision) u ON u.year = y.year AND u.revision = y.revision
LEFT JOIN (SELECT year, revision, COUNT(*) AS systems
           FROM (SELECT year, revision, system_id FROM plan_items
                 WHERE system_id IS NOT NULL GROUP BY year, revision, system_id) x
           GROUP BY year, revision) s ON s.year = y.year AND s.revision = y.revision
