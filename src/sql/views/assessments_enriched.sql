-- view: assessments_enriched
-- label: 测评结果（补全） | Assessments, names filled in
-- description: Every assessment with its department, unit and system name (taken from the plan when the
-- results workbook left them blank) and `planned`: whether the system is in the current
-- plan of the assessment's year. The metric views count from here. (Names and level from
-- the system's newest plan row: plan_latest.)
-- column assessment_id: 报告编号 | report number; derived from system and date when absent
-- column system_id: 系统标识 | filing number (备案编号) when given, else a key from normalised unit + system
-- column department: 主管部门 | competent department, normalised name
-- column unit: 预算单位 | budget unit, normalised name
-- column system: 系统名称 | system name, normalised
-- column level: 安全保护等级 | protection level 1–5; null when the workbook does not say
-- column assessed_on: 出具报告日期 | date the assessment report was issued
-- column year: 计划年度 | plan year | short: 年度
-- column quarter: 季度 | quarter of assessed_on
-- column planned: 是否计划内 | the system is in that year's current plan
-- column conclusion: 测评结论 | excellent/good/fair/poor (优良中差) or pass/basic_pass/fail (符合/基本符合/不符合)
-- column high_risks: 高风险数 | high-risk findings
-- column medium_risks: 中风险数 | medium-risk findings
-- column low_risks: 低风险数 | low-risk findings
-- column fee: 测评费用 | assessment fee, yuan
-- column source_file: 来源文件 | file name as given to `ceping ingest`
-- column source_sheet: 工作表 | sheet the row came from
-- column source_row: 行号 | 1-based row number as Excel shows it
WITH current_plan AS (SELECT DISTINCT year, system_id FROM plan_items_current)
SELECT a.assessment_id,
       a.system_id,
       COALESCE(a.department, p.department) AS department,
       COALESCE(a.unit, p.unit) AS unit,
       COALESCE(a.system, p.system) AS system,
       COALESCE(a.level, p.level) AS level,
       a.assessed_on,
       a.year,
       a.quarter,
       cp.system_id IS NOT NULL AS planned,
       a.conclusion,
       a.high_risks,
       a.medium_risks,
       a.low_risks,
       a.fee,
       a.source_file,
       a.source_sheet,
       a.source_row
FROM assessments a
LEFT JOIN plan_latest p ON p.system_id = a.system_id
LEFT JOIN current_plan cp ON cp.year = a.year AND cp.system_id = a.system_id
