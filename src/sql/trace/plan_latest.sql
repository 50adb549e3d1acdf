-- The plan row each system's names, level and reason are taken from (filters: department,
-- unit): one row per system, where it was loaded from.
SELECT department, unit, system, system_id, year, revision, source_file, source_sheet, source_row
FROM plan_latest
