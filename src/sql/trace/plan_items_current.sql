-- The plan rows of each year's current revision (filters: year, department, unit).
SELECT year, revision, department, unit, system, system_id, source_file, source_sheet, source_row
FROM plan_items_current
