-- The results-workbook rows behind assessments_enriched (filters: year, quarter,
-- department, unit): one row per assessment, where it was loaded from.
SELECT year, quarter, department, unit, system, system_id, assessment_id, assessed_on, planned,
       source_file, source_sheet, source_row
FROM assessments_enriched
