-- The plan, assessment and register rows behind each system's cycle status as of the
-- date given (filters: department, unit, status).
SELECT c.department, c.unit, c.system, c.system_id, c.status, c.next_due, c.rule, 'plan' AS kind,
       CAST(p.year AS VARCHAR) AS item, p.source_file, p.source_sheet, p.source_row
FROM cycle_status_as_of({{as_of}}) c
JOIN plan_items p ON p.system_id = c.system_id
UNION ALL
SELECT c.department, c.unit, c.system, c.system_id, c.status, c.next_due, c.rule, 'assessment',
       a.assessment_id, a.source_file, a.source_sheet, a.source_row
FROM cycle_status_as_of({{as_of}}) c
JOIN assessments a ON a.system_id = c.system_id AND a.assessed_on <= {{as_of}}
UNION ALL
SELECT c.department, c.unit, c.system, c.system_id, c.status, c.next_due, c.rule, 'register',
       c.system_id AS item, s.source_file, s.source_sheet, s.source_row
FROM cycle_status_as_of({{as_of}}) c
JOIN systems s ON s.system_id = c.system_id
