-- view: cycle_status
-- label: 测评周期状态 | Cycle status
-- as_of_function: cycle_status_as_of
-- description: Assessment cycle of every known system (in any plan or any assessment) as of a date D,
-- under 上海市公共信息系统安全测评管理办法 第七条:
--   * a new system (reason `new`) not assessed since its trial operation ended is due
--     30 days after that end;
--   * a major change (reason `change` in its latest plan) not re-tested in that plan's year
--     is due by the end of the planned quarter (the plan year's end when none is given);
--   * a system never assessed is due by the end of its planned quarter (or plan year);
--   * otherwise level 3 and above (and an unknown level, to be safe) every year, below 3
--     every two years after the last assessment.
-- status: overdue when the due date is before D; due_soon when it is within 60 days
-- (D <= due <= D + 60); else on_time.
-- column system_id: 系统标识 | filing number (备案编号) when given, else a key from normalised unit + system
-- column department: 主管部门 | competent department, normalised name
-- column unit: 预算单位 | budget unit, normalised name
-- column system: 系统名称 | system name, normalised
-- column level: 安全保护等级 | protection level 1–5; null when the workbook does not say
-- column last_assessed: 上次测评时间 | date of the previous assessment
-- column reason: 测评原因 | periodic (周期测评), new (新建系统), change (重大变更复测)
-- column next_due: 下次应测日期 | when the next assessment is due by the level's cycle
-- column days_left: 剩余天数 | days until the next assessment is due (negative: overdue)
-- column status: 周期状态 | on_time, due_soon (within 60 days) or overdue | short: 状态
-- column as_of: 统计日期 | the date the row is evaluated on
WITH facts AS (
    -- every known system: in a plan (plan_latest has each once) or assessed by D
    SELECT COALESCE(p.system_id, a.system_id) AS system_id,
           COALESCE(p.department, a.department) AS department,
           COALESCE(p.unit, a.unit) AS unit,
           COALESCE(p.system, a.system) AS system,
           COALESCE(a.level, p.level) AS level,
           COALESCE(a.assessed_on, p.last_assessed) AS last_assessed,
           p.reason,
           p.year AS plan_year,
           p.trial_ended_on,
           CAST(CASE WHEN p.planned_quarter IS NULL THEN make_date(p.year, 12, 31)
                     ELSE make_date(p.year, p.planned_quarter * 3, 1) + INTERVAL '1 month' - INTERVAL '1 day' END AS DATE)
               AS planned_by
    FROM plan_latest p
    -- (the assessment as loaded, not assessments_enriched: the names and level that would
    -- fill in from the plan are the plan's, which these COALESCEs prefer or fall back to)
    FULL OUTER JOIN latest_assessments_as_of({{as_of}}) a ON a.system_id = p.system_id
),
due AS (
    SELECT *,
           CAST(CASE
               WHEN reason = 'new' AND trial_ended_on IS NOT NULL
                    AND (last_assessed IS NULL OR last_assessed < trial_ended_on)
                   THEN trial_ended_on + INTERVAL '30 days'
               WHEN reason = 'change' AND (last_assessed IS NULL OR last_assessed < make_date(plan_year, 1, 1))
                   THEN planned_by
               WHEN last_assessed IS NULL THEN planned_by
               WHEN level IS NULL OR level >= 3 THEN last_assessed + INTERVAL '1 year'
               ELSE last_assessed + INTERVAL '2 years'
           END AS DATE) AS next_due
    FROM facts
)
SELECT system_id, department, unit, system, level, last_assessed, reason, next_due,
       next_due - {{as_of}} AS days_left,
       CASE WHEN next_due < {{as_of}} THEN 'overdue'
            WHEN next_due <= {{as_of}} + INTERVAL '60 days' THEN 'due_soon'
            ELSE 'on_time' END AS status,
       {{as_of}} AS as_of
FROM due
