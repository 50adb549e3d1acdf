-- The results-workbook row of each system's latest assessment as of the date given
-- (filters: department, unit).
SELECT department, unit, system, system_id, assessment_id, assessed_on, source_file, source_sheet, source_row
FROM latest_assessments_as_of({{as_of}})
