-- The rows behind each budget gap (filters: year, department, unit): the unit's budget
-- rows of the category, the current plan rows of its systems due that year, the latest
-- assessments of systems due under the cycle, and the assessments whose rectification
-- budget falls in the year.
SELECT g.year, g.department, g.unit, g.gap, 'budget' AS kind, b.category AS item,
       b.source_file, b.source_sheet, b.source_row
FROM budget_gaps g
JOIN budgets b ON b.year = g.year AND b.unit = g.unit AND b.category = g.budget_category
UNION ALL
SELECT g.year, g.department, g.unit, g.gap, 'plan', p.system, p.source_file, p.source_sheet, p.source_row
FROM budget_gaps g
JOIN plan_items_current p ON p.year = g.year AND p.unit = g.unit
WHERE g.budget_category = 'assessment'
UNION ALL
SELECT g.year, g.department, g.unit, g.gap, 'assessment', a.system, a.source_file, a.source_sheet, a.source_row
FROM budget_gaps g
JOIN cycle_status c ON CAST(EXTRACT(YEAR FROM c.next_due) AS INT) = g.year AND c.unit = g.unit
JOIN assessments a ON a.system_id = c.system_id AND a.assessed_on = c.last_assessed
WHERE g.budget_category = 'assessment'
UNION ALL
SELECT g.year, g.department, g.unit, g.gap, 'assessment', a.system, a.source_file, a.source_sheet, a.source_row
FROM budget_gaps g
JOIN rectification_schedule s ON s.budget_year = g.year AND s.unit = g.unit
JOIN assessments a ON a.assessment_id = s.assessment_id
WHERE g.budget_category = 'rectification'
