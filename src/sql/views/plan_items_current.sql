-- view: plan_items_current
-- label: 现行测评计划 | Current plan
-- description: plan_items_current: the current plan of every year, i.e. the rows of its highest
-- revision (DATA_MODEL.md: "The current plan of a year is its highest revision").
-- column year: 计划年度 | plan year | short: 年度
-- column revision: 修订版次 | 1 for the first published preview of the year, +1 per re-issued workbook | short: 版次
-- column department: 主管部门 | competent department, normalised name
-- column unit: 预算单位 | budget unit, normalised name
-- column system: 系统名称 | system name, normalised
-- column system_id: 系统标识 | filing number (备案编号) when given, else a key from normalised unit + system
-- column level: 安全保护等级 | protection level 1–5; null when the workbook does not say
-- column reason: 测评原因 | periodic (周期测评), new (新建系统), change (重大变更复测)
-- column planned_quarter: 计划季度 | 1–4 when the workbook gives a planned month or quarter
-- column last_assessed: 上次测评时间 | date of the previous assessment
-- column trial_ended_on: 试运行结束时间 | end of a new system's trial operation (due within 30 days after)
-- column source_file: 来源文件 | file name as given to `ceping ingest`
-- column source_sha256: 文件摘要 | SHA-256 of the file's bytes
-- column source_sheet: 工作表 | sheet the row came from
-- column source_row: 行号 | 1-based row number as Excel shows it
SELECT p.*
FROM plan_items p
JOIN (SELECT year AS y, MAX(revision) AS r FROM plan_items GROUP BY year) latest
  ON p.year = latest.y AND p.revision = latest.r
