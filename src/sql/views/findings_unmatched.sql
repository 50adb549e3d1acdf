-- Findings whose report number (报告编号) matches no loaded assessment: kept, never dropped,
-- and listed here for the assessment centre to resolve.
SELECT f.*
FROM findings f
WHERE NOT EXISTS (SELECT 1 FROM assessments a WHERE a.assessment_id = f.assessment_id)
