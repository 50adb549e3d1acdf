-- view: latest_assessments
-- label: 系统最新测评 | Latest assessment of each system
-- as_of_function: latest_assessments_as_of
-- description: Each system's latest assessment on or before a date D (today for the view,
-- `latest_assessments_as_of('2019-06-30')` for any date): the latest report date, then
-- the highest report number that day; the assessments row as loaded. cycle_status and
-- rectification_status start from it.
-- (One MAX over date || report number and one equi-join, no window: see plan_latest.sql.)
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
-- column score: 得分 | 0–100
-- column high_risks: 高风险数 | high-risk findings
-- column medium_risks: 中风险数 | medium-risk findings
-- column low_risks: 低风险数 | low-risk findings
-- column fee: 测评费用 | assessment fee, yuan
-- column source_file: 来源文件 | file name as given to `ceping ingest`
-- column source_sha256: 文件摘要 | SHA-256 of the file's bytes
-- column source_sheet: 工作表 | sheet the row came from
-- column source_row: 行号 | 1-based row number as Excel shows it
WITH last_key AS (
    SELECT system_id, MAX(CAST(assessed_on AS STRING) || assessment_id) AS date_and_id
    FROM assessments
    WHERE assessed_on <= {{as_of}}
    GROUP BY system_id
)
-- (`last_key` on the left: DataFusion 55 builds the hash table from it, one key per
-- system, instead of from every assessment row; 500 → 400 MB for cycle_status at L)
SELECT a.*
FROM last_key k
JOIN assessments a
  ON k.system_id = a.system_id
 AND k.date_and_id = CAST(a.assessed_on AS STRING) || a.assessment_id
