-- The rows behind plans_behind on a date (--date; filters: year, department, unit): the
-- current plan's row of a planned system, the register's row of a CII system.
SELECT year, department, unit, system, system_id, planned_quarter, due_by, days_late, rule,
       source_file, source_sheet, source_row
FROM plans_behind_as_of({{as_of}})
