-- The department a finding belongs to: its assessment's; for a finding of no known
-- assessment (an inspection or monitoring finding), its system's in the register; else
-- its system's in the latest plan that lists it. A finding none of these names belongs to
-- no department (the office sees it; no department does).
SELECT f.*, COALESCE(a.department, s.department, p.department) AS ceping_owner
FROM findings f
LEFT JOIN (
    SELECT assessment_id, MIN(department) AS department
    FROM assessments
    GROUP BY assessment_id
) a ON f.assessment_id = a.assessment_id
LEFT JOIN (
    SELECT system_id, MIN(department) AS department
    FROM systems
    GROUP BY system_id
) s ON f.system_id = s.system_id
LEFT JOIN (
    SELECT system_id, department
    FROM (
        SELECT system_id, department,
               ROW_NUMBER() OVER (PARTITION BY system_id ORDER BY year DESC, revision DESC, department) AS n
        FROM plan_items
    ) ranked
    WHERE n = 1
) p ON f.system_id = p.system_id
