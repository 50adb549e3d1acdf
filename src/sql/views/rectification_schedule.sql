-- view: rectification_schedule
-- label: 整改计划与期限 | Rectification schedule
-- as_of_function: rectification_schedule_as_of
-- description: Rectification schedule of every assessment with renovation findings (系统改造), by the
-- briefing's rule (DATA_MODEL.md): assessed in the first half of year Y (to 30 June) →
-- request the rectification budget in Y, rectify with Y's budget, by 31 December of Y; in
-- the second half (from 1 July) → request it in Y+1 and rectify once the budget of Y+2 is in
-- place, by 31 December of Y+2 ("下半年测评的，2020年申请整改预算，2021年预算到位后整改").
-- `request_year` is the year of the request, `budget_year` the budget year (预算年度) the
-- money is for: the year `budgets.year` holds. As of a date D (today for the view,
-- `rectification_schedule_as_of('2020-01-01')` for any date): `done` when every renovation
-- finding was fixed by D, `late` when not and the deadline is before D, else `on_track`.
-- Immediate fixes (即知即改) are not scheduled.
-- column system_id: 系统标识 | filing number (备案编号) when given, else a key from normalised unit + system
-- column department: 主管部门 | competent department, normalised name
-- column unit: 预算单位 | budget unit, normalised name
-- column system: 系统名称 | system name, normalised
-- column assessment_id: 报告编号 | report number; derived from system and date when absent
-- column assessed_on: 出具报告日期 | date the assessment report was issued
-- column half: 半年 | 1: assessed by 30 June, 2: from 1 July
-- column request_year: 整改预算申请年度 | the year the rectification budget is requested in | short: 申请年度
-- column budget_year: 整改预算年度 | the budget year (预算年度) the rectification money is for | short: 预算年度
-- column deadline: 整改期限 | 31 Dec of the budget year: the assessment year (first half) or two years later (second half)
-- column renovation_findings: 系统改造问题数 | findings that need system renovation (系统改造)
-- column renovation_fixed: 已完成改造问题数 | renovation findings fixed by the date
-- column status: 整改进度 | done, late or on_track as of the date | short: 状态
-- column as_of: 统计日期 | the date the row is evaluated on
WITH renovation AS (
    SELECT assessment_id,
           COUNT(*) AS renovation_findings,
           SUM(CASE WHEN fixed_on <= {{as_of}} THEN 1 ELSE 0 END) AS renovation_fixed
    FROM findings
    WHERE remedy = 'renovation'
    GROUP BY assessment_id
),
halves AS (
    SELECT a.system_id, a.department, a.unit, a.system, a.assessment_id, a.assessed_on, a.year,
           CAST(CASE WHEN a.assessed_on <= make_date(a.year, 6, 30) THEN 1 ELSE 2 END AS TINYINT) AS half,
           r.renovation_findings,
           r.renovation_fixed
    FROM assessments_enriched a
    JOIN renovation r ON r.assessment_id = a.assessment_id
    WHERE a.assessed_on <= {{as_of}}
),
scheduled AS (
    -- first half: requested in Y for budget year Y, by 31 Dec Y; second half: requested
    -- in Y+1 for budget year Y+2, by 31 Dec Y+2
    SELECT *,
           CAST(year + half - 1 AS INT) AS request_year,
           CAST(year + 2 * (half - 1) AS INT) AS budget_year,
           CAST(make_date(year + 2 * (half - 1), 12, 31) AS DATE) AS deadline
    FROM halves
)
SELECT system_id, department, unit, system, assessment_id, assessed_on, half, request_year, budget_year, deadline,
       CAST(renovation_findings AS BIGINT) AS renovation_findings,
       CAST(renovation_fixed AS BIGINT) AS renovation_fixed,
       CASE WHEN renovation_fixed = renovation_findings THEN 'done'
            WHEN deadline < {{as_of}} THEN 'late'
            ELSE 'on_track' END AS status,
       {{as_of}} AS as_of
FROM scheduled
