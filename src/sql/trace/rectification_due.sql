-- The findings rows behind rectification_due on a date (--date; filters: department, unit).
SELECT department, unit, system, finding_id, source, deadline, extended, source_file, source_sheet, source_row
FROM rectification_due_as_of({{as_of}})
