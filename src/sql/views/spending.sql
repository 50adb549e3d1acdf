-- view: spending
-- label: 经费执行 | Spending
-- description: Spending per year and department (经费): requested, approved and spent budget (all
-- categories, yuan), assessment fees paid, systems assessed, and the fee per assessed
-- system. Departments appear when they have a budget or an assessment that year.
-- column year: 计划年度 | plan year | short: 年度
-- column department: 主管部门 | competent department, normalised name
-- column requested: 申报金额 | yuan requested | short: 申报（元）
-- column approved: 批复金额 | yuan approved | short: 批复（元）
-- column spent: 实际支出 | yuan spent | short: 支出（元）
-- column rectification_spent: 整改支出 | yuan spent on rectification | short: 整改支出（元）
-- column service_spent: 安全服务支出 | yuan spent on security services | short: 服务支出（元）
-- column systems_assessed: 已测系统数 | distinct systems assessed | short: 已测系统
-- column assessment_fees: 测评费合计 | sum of the assessments' fees, yuan | short: 测评费（元）
-- column fee_per_system: 每系统测评费 | assessment fees / systems assessed, yuan | short: 每系统测评费（元）
WITH b AS (
    SELECT year, department,
           SUM(requested) AS requested, SUM(approved) AS approved, SUM(spent) AS spent,
           SUM(CASE WHEN category = 'rectification' THEN spent END) AS rectification_spent,
           SUM(CASE WHEN category = 'service' THEN spent END) AS service_spent
    FROM budgets
    GROUP BY year, department
),
a AS (
    SELECT year, department, COUNT(DISTINCT system_id) AS systems_assessed, SUM(fee) AS assessment_fees
    FROM assessments_enriched
    GROUP BY year, department
)
SELECT COALESCE(b.year, a.year) AS year,
       COALESCE(b.department, a.department) AS department,
       CAST(b.requested AS DECIMAL(18, 2)) AS requested,
       CAST(b.approved AS DECIMAL(18, 2)) AS approved,
       CAST(b.spent AS DECIMAL(18, 2)) AS spent,
       CAST(b.rectification_spent AS DECIMAL(18, 2)) AS rectification_spent,
       CAST(b.service_spent AS DECIMAL(18, 2)) AS service_spent,
       COALESCE(a.systems_assessed, 0) AS systems_assessed,
       CAST(a.assessment_fees AS DECIMAL(18, 2)) AS assessment_fees,
       CAST(CAST(a.assessment_fees AS DECIMAL(18, 2)) / a.systems_assessed AS DECIMAL(18, 2)) AS fee_per_system
FROM b
FULL OUTER JOIN a ON a.year = b.year AND a.department = b.department
