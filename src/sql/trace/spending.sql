-- The budget and assessment rows behind spending (filters: year, department, unit).
SELECT year, department, unit, 'budget' AS kind, category AS item,
       requested, approved, spent, CAST(NULL AS DECIMAL(18, 2)) AS fee, source_file, source_sheet, source_row
FROM budgets
UNION ALL
SELECT year, department, unit, 'assessment', assessment_id,
       NULL, NULL, NULL, fee, source_file, source_sheet, source_row
FROM assessments_enriched
