-- The plan rows of both revisions behind each change (filters: year, department, unit).
SELECT c.year, c.from_revision, c.to_revision, c.change, c.department, c.unit, c.system, c.system_id,
       p.revision, p.source_file, p.source_sheet, p.source_row
FROM plan_changes c
JOIN plan_items p
  ON p.system_id = c.system_id AND p.year = c.year AND p.revision IN (c.from_revision, c.to_revision)
