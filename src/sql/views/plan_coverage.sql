-- Plan coverage per year (测评预告): distinct departments, budget units and systems in the
-- year's current plan revision. Units and departments are counted by normalised name,
-- systems by system_id.
SELECT year,
       MAX(revision) AS revision,
       COUNT(DISTINCT department) AS departments,
       COUNT(DISTINCT unit) AS units,
       COUNT(DISTINCT system_id) AS systems
FROM plan_items_current
GROUP BY year
