-- as_of_function: letters_due_as_of
-- Units behind plan as of a date D and the letter they are due (rules in plans_behind.sql):
-- a 测评工作便函 (`notice`) when the unit's systems behind are at most 90 days late, a
-- 督促函 (`urge`) when any is more than 90 days past its planned quarter's end.
SELECT year, department, unit,
       COUNT(DISTINCT system_id) AS systems_behind,
       MIN(due_by) AS earliest_due,
       MAX(days_late) AS days_late,
       CASE WHEN MAX(days_late) > 90 THEN 'urge' ELSE 'notice' END AS letter,
       {{as_of}} AS as_of
FROM plans_behind_as_of({{as_of}})
GROUP BY year, department, unit
