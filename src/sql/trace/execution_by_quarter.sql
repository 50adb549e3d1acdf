-- The assessments behind execution_by_quarter (filters: year, quarter, department, unit).
SELECT year, quarter, department, unit, system, system_id, assessment_id, assessed_on, planned,
       source_file, source_sheet, source_row
FROM assessments_enriched
