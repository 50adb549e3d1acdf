-- The findings behind rectification_progress: for each year and quarter, every finding of
-- the assessments counted, and whether its system's rectification was complete by the
-- quarter's end (filters: year, quarter, department, unit; add `--complete` by SQL).
SELECT s.year, s.quarter, s.department, s.unit, s.system, s.system_id, s.complete, s.assessment_id,
       f.finding_id, f.status, f.fixed_on, f.source_file, f.source_sheet, f.source_row
FROM rectification_by_system s
JOIN findings f ON f.assessment_id = s.assessment_id
