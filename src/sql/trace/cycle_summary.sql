-- The systems behind each cycle_summary figure as of the date given (filters:
-- department, unit): each system's status, whether it is CII, and the rule.
SELECT department, unit, system, system_id, status, cii, next_due, rule
FROM cycle_status_as_of({{as_of}})
