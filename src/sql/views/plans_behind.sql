-- view: plans_behind
-- label: 未按期测评的系统 | Systems behind schedule
-- as_of_function: plans_behind_as_of
-- description: Systems behind schedule as of a date D, each with the rule it is behind on. A
-- planned system: in the year's current plan, the planned quarter ended (the plan year's end
-- when no quarter is given) before D, and no assessment in the plan year on or before D
-- (测评计划预告); days_late = D - that quarter's last day. Critical information
-- infrastructure overdue by its yearly cycle (cycle_status, 《网络安全法》第三十八条) and not
-- already behind its plan, for the year its due date falls in. Classified systems are never
-- behind here: they are outside this cycle. The source rows of `letters_due`.
-- column year: 计划年度 | plan year (a CII system: the year its due date falls in) | short: 年度
-- column department: 主管部门 | competent department, normalised name
-- column unit: 预算单位 | budget unit, normalised name
-- column system: 系统名称 | system name, normalised
-- column system_id: 系统标识 | filing number (备案编号) when given, else a key from normalised unit + system
-- column planned_quarter: 计划季度 | 1–4 when the workbook gives a planned month or quarter
-- column due_by: 应测截止日 | last day of the planned quarter (or of the year), or a CII system's due date
-- column days_late: 逾期天数 | days since the system was due | short: 滞后天数
-- column rule: 依据 | the rule the system is behind on
-- column as_of: 统计日期 | the date the row is evaluated on
-- column source_file: 来源文件 | file name as given to `ceping ingest`
-- column source_sheet: 工作表 | sheet the row came from
-- column source_row: 行号 | 1-based row number as Excel shows it
WITH plan AS (
    SELECT year, department, unit, system, system_id, planned_quarter, source_file, source_sheet, source_row,
           CAST(CASE WHEN planned_quarter IS NULL THEN make_date(year, 12, 31)
                     ELSE make_date(year, planned_quarter * 3, 1) + INTERVAL '1 month' - INTERVAL '1 day' END AS DATE)
               AS due_by
    FROM plan_items_current
),
planned AS (
    SELECT p.year, p.department, p.unit, p.system, p.system_id, p.planned_quarter, p.due_by,
           CAST({{as_of}} - p.due_by AS BIGINT) AS days_late,
           '测评计划预告：计划测评时间已过' AS rule,
           p.source_file, p.source_sheet, p.source_row
    FROM plan p
    LEFT JOIN systems s ON s.system_id = p.system_id
    WHERE p.due_by < {{as_of}}
      AND (s.classified IS NULL OR NOT s.classified)
      AND NOT EXISTS (
          SELECT 1 FROM assessments a
          WHERE a.system_id = p.system_id AND a.year = p.year AND a.assessed_on <= {{as_of}})
),
cii AS (
    SELECT CAST(EXTRACT(YEAR FROM c.next_due) AS INT) AS year, c.department, c.unit, c.system, c.system_id,
           CAST(NULL AS TINYINT) AS planned_quarter, c.next_due AS due_by,
           CAST({{as_of}} - c.next_due AS BIGINT) AS days_late,
           c.rule,
           s.source_file, s.source_sheet, s.source_row
    FROM cycle_status_as_of({{as_of}}) c
    JOIN systems s ON s.system_id = c.system_id
    WHERE c.cii AND c.status = 'overdue'
)
SELECT year, department, unit, system, system_id, planned_quarter, due_by, days_late, rule,
       {{as_of}} AS as_of, source_file, source_sheet, source_row
FROM planned
UNION ALL
SELECT year, department, unit, system, system_id, planned_quarter, due_by, days_late, rule,
       {{as_of}} AS as_of, source_file, source_sheet, source_row
FROM cii
WHERE NOT EXISTS (SELECT 1 FROM planned p WHERE p.system_id = cii.system_id)
