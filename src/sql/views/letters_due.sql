-- view: letters_due
-- label: 应发函件 | Letters due
-- as_of_function: letters_due_as_of
-- description: Units behind plan as of a date D and the letter they are due (rules in plans_behind.sql):
-- a 测评工作便函 (`notice`) when the unit's systems behind are at most 90 days late, a
-- 督促函 (`urge`) when any is more than 90 days past its planned quarter's end.
-- column year: 计划年度 | plan year | short: 年度
-- column department: 主管部门 | competent department, normalised name
-- column unit: 预算单位 | budget unit, normalised name
-- column systems_behind: 滞后系统数 | systems behind their planned quarter | short: 滞后系统
-- column earliest_due: 最早应测日 | the earliest due date among the unit's systems | short: 最早应测
-- column days_late: 逾期天数 | days since the planned quarter ended | short: 滞后天数
-- column letter: 函件类型 | notice (便函) or urge (督促函) | short: 函件
-- column as_of: 统计日期 | the date the row is evaluated on
SELECT year, department, unit,
       COUNT(DISTINCT system_id) AS systems_behind,
       MIN(due_by) AS earliest_due,
       MAX(days_late) AS days_late,
       CASE WHEN MAX(days_late) > 90 THEN 'urge' ELSE 'notice' END AS letter,
       {{as_of}} AS as_of
FROM plans_behind_as_of({{as_of}})
GROUP BY year, department, unit
