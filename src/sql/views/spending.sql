-- Spending per year and department (经费): requested, approved and spent budget (all
-- categories, yuan), assessment fees paid, systems assessed, and the fee per assessed
-- system. Departments appear when they have a budget or an assessment that year.
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
       CAST(a.assessment_fees / a.systems_assessed AS DECIMAL(18, 2)) AS fee_per_system
FROM b
FULL OUTER JOIN a ON a.year = b.year AND a.department = b.department
