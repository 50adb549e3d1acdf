-- The findings-workbook rows behind findings_unmatched: findings whose report number
-- matches no loaded assessment, where each was loaded from.
SELECT assessment_id, finding_id, source_file, source_sheet, source_row
FROM findings_unmatched
