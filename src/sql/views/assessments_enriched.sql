-- Every assessment with its department, unit and system name (taken from the plan when the
-- results workbook left them blank) and `planned`: whether the system is in the current
-- plan of the assessment's year. The metric views count from here. (Names and level from
-- the system's newest plan row: plan_latest.)
WITH current_plan AS (SELECT DISTINCT year, system_id FROM plan_items_current)
SELECT a.assessment_id,
       a.system_id,
       COALESCE(a.department, p.department) AS department,
       COALESCE(a.unit, p.unit) AS unit,
       COALESCE(a.system, p.system) AS system,
       COALESCE(a.level, p.level) AS level,
       a.assessed_on,
       a.year,
       a.quarter,
       cp.system_id IS NOT NULL AS planned,
       a.conclusion,
       a.high_risks,
       a.medium_risks,
       a.low_risks,
       a.fee,
       a.source_file,
       a.source_sheet,
       a.source_row
FROM assessments a
LEFT JOIN plan_latest p ON p.system_id = a.system_id
LEFT JOIN current_plan cp ON cp.year = a.year AND cp.system_id = a.system_id
