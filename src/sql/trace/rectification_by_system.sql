-- The findings behind rectification_by_system (filters: year, quarter, department, unit):
-- every finding of the assessment counted for each system and quarter.
SELECT s.year, s.quarter, s.department, s.unit, s.system, s.system_id, s.assessment_id,
       f.finding_id, f.fixed_on, f.source_file, f.source_sheet, f.source_row
FROM rectification_by_system s
JOIN findings f ON f.assessment_id = s.assessment_id
