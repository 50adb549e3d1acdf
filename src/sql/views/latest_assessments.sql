-- as_of_function: latest_assessments_as_of
-- Each system's latest assessment on or before a date D (today for the view,
-- `latest_assessments_as_of('2019-06-30')` for any date): the latest report date, then
-- the highest report number that day; the assessments row as loaded. cycle_status and
-- rectification_status start from it.
-- (One MAX over date || report number and one equi-join, no window: see plan_latest.sql.)
WITH last_key AS (
    SELECT system_id, MAX(CAST(assessed_on AS VARCHAR) || assessment_id) AS date_and_id
    FROM assessments
    WHERE assessed_on <= {{as_of}}
    GROUP BY system_id
)
-- (`last_key` on the left: DataFusion 55 builds the hash table from it, one key per
-- system, instead of from every assessment row; 500 → 400 MB for cycle_status at L)
SELECT a.*
FROM last_key k
JOIN assessments a
  ON k.system_id = a.system_id
 AND k.date_and_id = CAST(a.assessed_on AS VARCHAR) || a.assessment_id
