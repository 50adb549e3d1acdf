-- The renovation findings behind each schedule row as of the date given (filters:
-- department, unit, status).
SELECT s.department, s.unit, s.system, s.system_id, s.assessment_id, s.status, s.deadline,
       f.finding_id, f.fixed_on, f.source_file, f.source_sheet, f.source_row
FROM rectification_schedule_as_of({{as_of}}) s
JOIN findings f ON f.assessment_id = s.assessment_id AND f.remedy = 'renovation'
