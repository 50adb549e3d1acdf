-- view: cycle_summary
-- label: 测评周期状态汇总 | Cycle status summary
-- as_of_function: cycle_summary_as_of
-- description: Systems by cycle status as of a date D (cycle_status), and how many of them are
-- critical information infrastructure (关基, due yearly whatever their level). Classified
-- systems are not in the cycle: classified_systems counts them.
-- column status: 周期状态 | on_time, due_soon (within 60 days), overdue, or unknown | short: 状态
-- column systems: 系统数 | systems with that status
-- column cii_systems: 其中关基 | of them, critical information infrastructure
-- column as_of: 统计日期 | the date the row is evaluated on
SELECT status,
       COUNT(*) AS systems,
       CAST(SUM(CASE WHEN cii THEN 1 ELSE 0 END) AS BIGINT) AS cii_systems,
       {{as_of}} AS as_of
FROM cycle_status_as_of({{as_of}})
GROUP BY status
