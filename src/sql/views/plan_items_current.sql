-- plan_items_current: the current plan of every year, i.e. the rows of its highest
-- revision (DATA_MODEL.md: "The current plan of a year is its highest revision").
SELECT p.*
FROM plan_items p
JOIN (SELECT year AS y, MAX(revision) AS r FROM plan_items GROUP BY year) latest
  ON p.year = latest.y AND p.revision = latest.r
