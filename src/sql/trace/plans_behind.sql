-- The current plan rows behind plans_behind on a date (--date; filters: year,
-- department, unit).
SELECT year, department, unit, system, system_id, planned_quarter, due_by, days_late,
       source_file, source_sheet, source_row
FROM plans_behind_as_of({{as_of}})
