-- as_of_function: rectification_as_of
-- Rectification of every assessed system as of a date D (today for the view,
-- `rectification_as_of('2018-03-31')` for any date): its latest assessment on or before D,
-- its findings, how many were fixed by D and how many are overdue, and whether its
-- rectification is complete (at least one finding, all fixed by D).
WITH latest AS (
    SELECT e.*
    FROM assessments_enriched e
    JOIN latest_assessments_as_of({{as_of}}) l ON l.assessment_id = e.assessment_id
),
per_system AS (
    SELECT l.system_id, l.department, l.unit, l.system, l.assessment_id, l.assessed_on, l.year,
           COUNT(f.finding_id) AS findings,
           SUM(CASE WHEN f.fixed_on <= {{as_of}} THEN 1 ELSE 0 END) AS fixed,
           SUM(CASE WHEN f.due_on < {{as_of}} AND (f.fixed_on IS NULL OR f.fixed_on > {{as_of}}) THEN 1 ELSE 0 END) AS overdue
    FROM latest l
    LEFT JOIN findings f ON f.assessment_id = l.assessment_id
    GROUP BY l.system_id, l.department, l.unit, l.system, l.assessment_id, l.assessed_on, l.year
)
SELECT system_id, department, unit, system, assessment_id, assessed_on, year AS assessed_year,
       CAST(findings AS BIGINT) AS findings,
       CAST(COALESCE(fixed, 0) AS BIGINT) AS findings_fixed,
       CAST(COALESCE(overdue, 0) AS BIGINT) AS findings_overdue,
       findings > 0 AND fixed = findings AS complete,
       {{as_of}} AS as_of
FROM per_system
