-- as_of_function: letters_due_as_of
-- Units behind plan as of a date D, and the letter they are due. A planned system (current
-- plan) is behind when its planned quarter has ended (the plan year's end when no quarter
-- is given) before D and it has no assessment in the plan year on or before D.
-- days_late = D - that quarter's last day. A unit is due a 测评工作便函 (`notice`) when its
-- latest-due system is 1–90 days late, a 督促函 (`urge`) when any is more than 90 days late.
WITH plan AS (
    SELECT year, department, unit, system_id,
           CAST(CASE WHEN planned_quarter IS NULL THEN make_date(year, 12, 31)
                     ELSE make_date(year, planned_quarter * 3, 1) + INTERVAL '1 month' - INTERVAL '1 day' END AS DATE)
               AS due_by
    FROM plan_items_current
),
behind AS (
    SELECT p.*, {{as_of}} - p.due_by AS days_late
    FROM plan p
    WHERE p.due_by < {{as_of}}
      AND NOT EXISTS (
          SELECT 1 FROM assessments a
          WHERE a.system_id = p.system_id AND a.year = p.year AND a.assessed_on <= {{as_of}})
)
SELECT year, department, unit,
       COUNT(DISTINCT system_id) AS systems_behind,
       MIN(due_by) AS earliest_due,
       MAX(days_late) AS days_late,
       CASE WHEN MAX(days_late) > 90 THEN 'urge' ELSE 'notice' END AS letter,
       {{as_of}} AS as_of
FROM behind
GROUP BY year, department, unit
