-- view: budget_gaps
-- label: 经费核查 | Budget gaps
-- description: Budget checks per budget year (预算核查): what each unit needs budget for in year Y
-- against what it requested, approved and spent (`WHERE year = Y` for one year).
--   * no_assessment_budget: the unit has systems due for assessment in Y (in Y's current
--     plan, or due in Y under the cycle rules of cycle_status: units outside the plan
--     included; classified systems never) and no assessment budget requested for Y;
--   * no_rectification_budget: the unit's rectification budget year is Y under the rule of
--     rectification_schedule (assessed in the first half of Y → budget year Y; in the second
--     half of Y-2 → budget year Y, requested in Y-1) and no rectification budget is
--     requested for budget year Y (`budgets.year` is the budget year, 预算年度);
--   * approved_below_requested / spent_above_approved: per unit and category.
-- `systems` / `system_names`: the systems behind the need (due, or to be rectified);
-- `rule`: the rule the gap falls under, in the words of the office.
-- column year: 预算年度 | budget year | short: 年度
-- column department: 主管部门 | competent department, normalised name
-- column unit: 预算单位 | budget unit, normalised name
-- column gap: 核查问题 | no_assessment_budget, no_rectification_budget, approved_below_requested or spent_above_approved
-- column budget_category: 经费类别 | assessment, rectification or service (the budgets table's category)
-- column systems: 系统数 | distinct systems
-- column system_names: 系统名称 | the systems behind the row, joined with 、
-- column requested: 申报金额 | yuan requested | short: 申报（元）
-- column approved: 批复金额 | yuan approved | short: 批复（元）
-- column spent: 实际支出 | yuan spent | short: 支出（元）
-- column rule: 依据 | the rule the row falls under, in the office's words
WITH due AS (
    -- (classified systems are outside this cycle: cycle_status has none of them)
    SELECT p.year, p.department, p.unit, p.system_id, p.system
    FROM plan_items_current p
    LEFT JOIN systems s ON s.system_id = p.system_id
    WHERE s.classified IS NULL OR NOT s.classified
    UNION ALL
    SELECT CAST(EXTRACT(YEAR FROM next_due) AS INT), department, unit, system_id, system
    FROM cycle_status
    WHERE next_due IS NOT NULL
),
needs AS (
    -- one row per year, category, unit and system
    SELECT year, 'assessment' AS category, unit, system_id, MIN(department) AS department, MIN(system) AS system
    FROM due
    GROUP BY year, unit, system_id
    UNION ALL
    SELECT budget_year, 'rectification', unit, system_id, MIN(department), MIN(system)
    FROM rectification_schedule
    GROUP BY budget_year, unit, system_id
),
by_unit AS (
    SELECT year, category, unit, MIN(department) AS department, COUNT(*) AS systems,
           array_join(array_sort(array_agg(system)), '、') AS system_names
    FROM needs
    GROUP BY year, category, unit
),
asked AS (
    SELECT year, category, unit, MIN(department) AS department,
           SUM(requested) AS requested, SUM(approved) AS approved, SUM(spent) AS spent
    FROM budgets
    GROUP BY year, category, unit
),
joined AS (
    SELECT COALESCE(n.year, b.year) AS year,
           COALESCE(n.category, b.category) AS category,
           COALESCE(n.unit, b.unit) AS unit,
           COALESCE(b.department, n.department) AS department,
           n.systems, n.system_names, b.requested, b.approved, b.spent
    FROM by_unit n
    FULL OUTER JOIN asked b ON b.year = n.year AND b.category = n.category AND b.unit = n.unit
)
SELECT j.year, j.department, j.unit, k.gap, j.category AS budget_category,
       CAST(COALESCE(j.systems, 0) AS BIGINT) AS systems, j.system_names,
       CAST(j.requested AS DECIMAL(18, 2)) AS requested,
       CAST(j.approved AS DECIMAL(18, 2)) AS approved,
       CAST(j.spent AS DECIMAL(18, 2)) AS spent,
       CASE k.gap
           WHEN 'no_assessment_budget' THEN '当年应测的系统须申请测评经费（计划预告或测评周期）'
           WHEN 'no_rectification_budget' THEN '上半年测评的系统当年申请、当年预算整改；下半年测评的次年申请、第三年预算到位后整改'
           WHEN 'approved_below_requested' THEN '批复金额低于申请金额'
           ELSE '支出超过批复金额'
       END AS rule
FROM joined j
CROSS JOIN (VALUES ('no_assessment_budget'), ('no_rectification_budget'),
                   ('approved_below_requested'), ('spent_above_approved')) AS k(gap)
WHERE CASE k.gap
          WHEN 'no_assessment_budget' THEN j.category = 'assessment' AND j.systems > 0
                                         AND COALESCE(j.requested, 0) = 0
          WHEN 'no_rectification_budget' THEN j.category = 'rectification' AND j.systems > 0
                                            AND COALESCE(j.requested, 0) = 0
          WHEN 'approved_below_requested' THEN j.approved < j.requested
          ELSE j.spent > j.approved
      END
