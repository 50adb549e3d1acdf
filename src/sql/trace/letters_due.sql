-- The plan rows behind letters_due, as of the date given (filters: year, department, unit).
SELECT year, department, unit, system, system_id, due_by, days_late, source_file, source_sheet, source_row
FROM plans_behind_as_of({{as_of}})
