-- view: cycle_status
-- label: 测评周期状态 | Cycle status
-- as_of_function: cycle_status_as_of
-- description: Assessment cycle of every known system (in any plan, any assessment or the system
-- register) as of a date D. The first rule that applies decides the next due date, and
-- `rule` names it:
--   * 管理办法第七条 (new): a new system (reason `new`) not assessed since its trial
--     operation ended is due 30 days after that end;
--   * 管理办法第七条 (change): a major change recorded in the register after the last
--     assessment (on or before D) makes a re-test due from the change date;
--   * 管理办法第七条 (change, planned): a major change in the latest plan not re-tested in
--     that plan's year is due by the end of the planned quarter (the plan year's end);
--   * 测评计划预告: a system never assessed is due by the end of its planned quarter (or
--     plan year); a register system never assessed and in no plan is due 30 days after it
--     went live (status `unknown` when the register gives no date either);
--   * 《网络安全法》第三十八条: critical information infrastructure (register `cii`) every
--     year, whatever its level;
--   * 管理办法第七条: level 3 and above (and an unknown level, to be safe) every year,
--     below 3 every two years after the last assessment.
-- Classified systems (register `classified`) follow the secrecy bureau's graded protection
-- and have no row (涉密系统不纳入本周期; `classified_systems` lists them).
-- status: overdue when the due date is before D; due_soon when it is within 60 days
-- (D <= due <= D + 60); else on_time.
-- column system_id: 系统标识 | filing number (备案编号) when given, else a key from normalised unit + system
-- column department: 主管部门 | competent department, normalised name
-- column unit: 预算单位 | budget unit, normalised name
-- column system: 系统名称 | system name, normalised
-- column level: 安全保护等级 | protection level 1–5; null when no source says
-- column cii: 关键信息基础设施 | the register marks it critical information infrastructure (yearly) | short: 关基
-- column last_assessed: 上次测评时间 | date of the previous assessment
-- column reason: 测评原因 | periodic (周期测评), new (新建系统), change (重大变更复测)
-- column next_due: 下次应测日期 | when the next assessment is due under the rule that applies
-- column rule: 依据 | the rule that decided next_due, in the office's words
-- column days_left: 剩余天数 | days until the next assessment is due (negative: overdue)
-- column status: 周期状态 | on_time, due_soon (within 60 days), overdue, or unknown (no date to go by) | short: 状态
-- column as_of: 统计日期 | the date the row is evaluated on
WITH known AS (
    -- every system in a plan (plan_latest has each once) or assessed by D
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
facts AS (
    -- and every system of the register; the register's attributes as of D
    SELECT COALESCE(k.system_id, s.system_id) AS system_id,
           COALESCE(k.department, s.department) AS department,
           COALESCE(k.unit, s.unit) AS unit,
           COALESCE(k.system, s.system) AS system,
           COALESCE(k.level, s.level) AS level,
           k.last_assessed, k.reason, k.plan_year, k.trial_ended_on, k.planned_by,
           COALESCE(s.cii, FALSE) AS cii,
           CASE WHEN s.last_major_change_on <= {{as_of}} THEN s.last_major_change_on END AS changed_on,
           s.went_live_on
    FROM known k
    FULL OUTER JOIN systems s ON s.system_id = k.system_id
    WHERE s.classified IS NULL OR NOT s.classified
),
due AS (
    SELECT *,
           CASE
               WHEN reason = 'new' AND trial_ended_on IS NOT NULL
                    AND (last_assessed IS NULL OR last_assessed < trial_ended_on) THEN 'new'
               WHEN changed_on IS NOT NULL AND last_assessed IS NOT NULL AND changed_on > last_assessed THEN 'change'
               WHEN reason = 'change' AND (last_assessed IS NULL OR last_assessed < make_date(plan_year, 1, 1))
                   THEN 'change_planned'
               WHEN last_assessed IS NULL AND plan_year IS NOT NULL THEN 'planned'
               WHEN last_assessed IS NULL AND went_live_on IS NOT NULL THEN 'went_live'
               WHEN last_assessed IS NULL THEN 'unknown'
               WHEN cii THEN 'cii'
               WHEN level IS NULL THEN 'unknown_level'
               WHEN level >= 3 THEN 'yearly'
               ELSE 'two_years'
           END AS decided_by
    FROM facts
),
dated AS (
    SELECT *,
           CAST(CASE decided_by
               WHEN 'new' THEN trial_ended_on + INTERVAL '30 days'
               WHEN 'change' THEN changed_on
               WHEN 'change_planned' THEN planned_by
               WHEN 'planned' THEN planned_by
               WHEN 'went_live' THEN went_live_on + INTERVAL '30 days'
               WHEN 'unknown' THEN NULL
               WHEN 'two_years' THEN last_assessed + INTERVAL '2 years'
               ELSE last_assessed + INTERVAL '1 year'
           END AS DATE) AS next_due
    FROM due
)
SELECT system_id, department, unit, system, level, cii, last_assessed,
       CASE WHEN decided_by = 'change' THEN 'change' ELSE reason END AS reason,
       next_due,
       CASE decided_by
           WHEN 'new' THEN '管理办法第七条：新建系统试运行结束后30日内测评'
           WHEN 'change' THEN '管理办法第七条：重大变更后及时复测'
           WHEN 'change_planned' THEN '管理办法第七条：重大变更复测（计划预告）'
           WHEN 'planned' THEN '测评计划预告：计划测评时间'
           WHEN 'went_live' THEN '管理办法第七条：新系统上线后30日内测评'
           WHEN 'unknown' THEN '无测评记录、计划或上线时间'
           WHEN 'cii' THEN '《网络安全法》第三十八条：关键信息基础设施每年至少测评一次'
           WHEN 'yearly' THEN '管理办法第七条：三级及以上每年测评一次'
           WHEN 'unknown_level' THEN '管理办法第七条：等级不明，按每年测评一次'
           ELSE '管理办法第七条：三级以下每两年测评一次'
       END AS rule,
       CAST(next_due - {{as_of}} AS BIGINT) AS days_left,
       CASE WHEN next_due IS NULL THEN 'unknown'
            WHEN next_due < {{as_of}} THEN 'overdue'
            WHEN next_due <= {{as_of}} + INTERVAL '60 days' THEN 'due_soon'
            ELSE 'on_time' END AS status,
       {{as_of}} AS as_of
FROM dated
