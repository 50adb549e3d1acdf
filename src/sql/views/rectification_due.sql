-- view: rectification_due
-- label: 下季度到期整改问题 | Rectification due next quarter
-- as_of_function: rectification_due_as_of
-- description: Findings of every source not fixed by a date D whose deadline — the approved
-- extension (延期) when there is one — falls in the quarter after D's: what the next
-- quarter's rectification must finish (the briefing's 下一步工作). With the system's
-- department, unit and name from its assessment, else its plan, else the register.
-- column finding_id: 问题编号 | report number + item number, or the system and day found + item
-- column source: 问题来源 | assessment (测评), inspection (安全检查), monitoring (安全监测)
-- column system_id: 系统标识 | the system
-- column department: 主管部门 | competent department, normalised name
-- column unit: 预算单位 | budget unit, normalised name
-- column system: 系统名称 | system name, normalised
-- column risk: 风险等级 | high, medium, low (高/中/低风险)
-- column deadline: 整改期限 | the deadline, or the extension when there is one
-- column extended: 已延期 | the deadline is an approved extension
-- column as_of: 统计日期 | the date the row is evaluated on
-- column source_file: 来源文件 | the findings file the row came from
-- column source_sheet: 工作表 | sheet the row came from
-- column source_row: 行号 | 1-based row number as Excel shows it
WITH next_quarter AS (
    SELECT CASE WHEN CAST(EXTRACT(QUARTER FROM {{as_of}}) AS INT) = 4
                THEN make_date(CAST(EXTRACT(YEAR FROM {{as_of}}) AS INT) + 1, 1, 1)
                ELSE make_date(CAST(EXTRACT(YEAR FROM {{as_of}}) AS INT),
                               CAST(EXTRACT(QUARTER FROM {{as_of}}) AS INT) * 3 + 1, 1) END AS first_day
)
SELECT f.finding_id, COALESCE(f.source, 'assessment') AS source, f.system_id,
       COALESCE(a.department, p.department, s.department) AS department,
       COALESCE(a.unit, p.unit, s.unit) AS unit,
       COALESCE(a.system, p.system, s.system) AS system,
       f.risk,
       COALESCE(f.extended_to, f.due_on) AS deadline,
       f.extended_to IS NOT NULL AS extended,
       {{as_of}} AS as_of,
       f.source_file, f.source_sheet, f.source_row
FROM findings f
CROSS JOIN next_quarter w
LEFT JOIN assessments_enriched a ON a.assessment_id = f.assessment_id
LEFT JOIN plan_latest p ON p.system_id = f.system_id
LEFT JOIN systems s ON s.system_id = f.system_id
WHERE (f.fixed_on IS NULL OR f.fixed_on > {{as_of}})
  AND COALESCE(f.extended_to, f.due_on) >= w.first_day
  AND COALESCE(f.extended_to, f.due_on) < CAST(w.first_day + INTERVAL '3 months' AS DATE)
