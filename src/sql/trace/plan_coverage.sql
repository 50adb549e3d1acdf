-- The current plan rows behind plan_coverage (filters: year, department, unit).
SELECT year, department, unit, system, system_id, revision, source_file, source_sheet, source_row
FROM plan_items_current
