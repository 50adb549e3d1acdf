-- view: rectification_status
-- label: 整改状态 | Rectification status
-- as_of_function: rectification_as_of
-- description: Rectification of every assessed system as of a date D (today for the view,
-- `rectification_as_of('2018-03-31')` for any date): its latest assessment on or before D,
-- its findings, how many were fixed by D and how many are overdue (past the deadline, or
-- the approved extension when there is one), how many were extended (延期), and whether
-- its rectification is complete (at least one finding, all fixed by D).
-- column system_id: 系统标识 | filing number (备案编号) when given, else a key from normalised unit + system
-- column department: 主管部门 | competent department, normalised name
-- column unit: 预算单位 | budget unit, normalised name
-- column system: 系统名称 | system name, normalised
-- column assessment_id: 报告编号 | report number; derived from system and date when absent
-- column assessed_on: 出具报告日期 | date the assessment report was issued
-- column assessed_year: 测评年度 | year of the assessment counted
-- column findings: 问题数 | findings of the assessment counted
-- column findings_fixed: 已整改问题数 | findings fixed by the date | short: 已整改
-- column findings_overdue: 逾期未整改问题数 | findings past their deadline and not fixed by the date | short: 逾期未改
-- column findings_extended: 已延期问题数 | findings with an approved extension (延期) | short: 已延期
-- column complete: 整改完成 | at least one finding and all fixed by the date
-- column as_of: 统计日期 | the date the row is evaluated on
WITH latest AS (
    SELECT e.*
    FROM assessments_enriched e
    JOIN latest_assessments_as_of({{as_of}}) l ON l.assessment_id = e.assessment_id
),
per_system AS (
    SELECT l.system_id, l.department, l.unit, l.system, l.assessment_id, l.assessed_on, l.year,
           COUNT(f.finding_id) AS findings,
           SUM(CASE WHEN f.fixed_on <= {{as_of}} THEN 1 ELSE 0 END) AS fixed,
           SUM(CASE WHEN COALESCE(f.extended_to, f.due_on) < {{as_of}} AND (f.fixed_on IS NULL OR f.fixed_on > {{as_of}}) THEN 1 ELSE 0 END) AS overdue,
           SUM(CASE WHEN f.extended_to IS NOT NULL THEN 1 ELSE 0 END) AS extended
    FROM latest l
    LEFT JOIN findings f ON f.assessment_id = l.assessment_id
    GROUP BY l.system_id, l.department, l.unit, l.system, l.assessment_id, l.assessed_on, l.year
)
SELECT system_id, department, unit, system, assessment_id, assessed_on, year AS assessed_year,
       CAST(findings AS BIGINT) AS findings,
       CAST(COALESCE(fixed, 0) AS BIGINT) AS findings_fixed,
       CAST(COALESCE(overdue, 0) AS BIGINT) AS findings_overdue,
       CAST(COALESCE(extended, 0) AS BIGINT) AS findings_extended,
       findings > 0 AND fixed = findings AS complete,
       {{as_of}} AS as_of
FROM per_system
