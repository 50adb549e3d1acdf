-- The register rows that mark each system classified (filters: department, unit).
SELECT department, unit, system, system_id, in_plan_year, source_file, source_sheet, source_row
FROM classified_systems
