-- The assessment and findings rows behind rectification_status on a date (--date;
-- filters: department, unit): each system's latest assessment and its findings.
SELECT s.department, s.unit, s.system, s.system_id, s.assessment_id, 'assessment' AS row_kind,
       a.source_file, a.source_sheet, a.source_row
FROM rectification_as_of({{as_of}}) s
JOIN assessments a ON a.assessment_id = s.assessment_id
UNION ALL
SELECT s.department, s.unit, s.system, s.system_id, s.assessment_id, 'finding' AS row_kind,
       f.source_file, f.source_sheet, f.source_row
FROM rectification_as_of({{as_of}}) s
JOIN findings f ON f.assessment_id = s.assessment_id
