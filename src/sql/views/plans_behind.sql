-- as_of_function: plans_behind_as_of
-- Planned systems behind schedule as of a date D: in the year's current plan, the planned
-- quarter ended (the plan year's end when no quarter is given) before D, and no assessment
-- in the plan year on or before D. days_late = D - that quarter's last day. The source
-- rows of `letters_due`.
WITH plan AS (
    SELECT year, department, unit, system, system_id, planned_quarter, source_file, source_sheet, source_row,
           CAST(CASE WHEN planned_quarter IS NULL THEN make_date(year, 12, 31)
                     ELSE make_date(year, planned_quarter * 3, 1) + INTERVAL '1 month' - INTERVAL '1 day' END AS DATE)
               AS due_by
    FROM plan_items_current
)
SELECT p.year, p.department, p.unit, p.system, p.system_id, p.planned_quarter, p.due_by,
       {{as_of}} - p.due_by AS days_late,
       {{as_of}} AS as_of,
       p.source_file, p.source_sheet, p.source_row
FROM plan p
WHERE p.due_by < {{as_of}}
  AND NOT EXISTS (
      SELECT 1 FROM assessments a
      WHERE a.system_id = p.system_id AND a.year = p.year AND a.assessed_on <= {{as_of}})
