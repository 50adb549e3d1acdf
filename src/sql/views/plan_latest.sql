-- view: plan_latest
-- label: 系统最新计划条目 | Newest plan row of each system
-- description: The newest plan row of every system: from the latest plan year listing it, that year's
-- highest revision listing it, the first such row (by sheet row, then sheet name; one
-- revision is one workbook, so the four name one row). Where
-- assessments_enriched and cycle_status take a system's names, level and reason from.
-- (One aggregate and one equi-join, not ROW_NUMBER(): DataFusion 55 spends ~3 µs a row on
-- a window over a million one-row partitions, and it plans a CTE once per use, so the
-- query names no CTE twice; docs/PERFORMANCE.md, "Metric views at scale".)
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
WITH firsts AS (
    -- one sortable key per row: newest year and revision first, then the lowest row, then
    -- the sheet name (revision ≤ 9999 and row ≤ 99,999,999 keep the fields aligned)
    SELECT system_id,
           MIN(LPAD(CAST(99999999 - (year * 10000 + revision) AS STRING), 8, '0')
               || LPAD(CAST(source_row AS STRING), 8, '0') || source_sheet) AS rank_key
    FROM plan_items
    GROUP BY system_id
)
-- (`firsts` on the left: DataFusion builds its hash table from the left side, and the
-- 625,000 keys of a 1M-row plan take half the memory of the plan's rows)
SELECT p.*
FROM firsts f
JOIN plan_items p
  ON f.system_id = p.system_id
 AND f.rank_key = LPAD(CAST(99999999 - (p.year * 10000 + p.revision) AS STRING), 8, '0')
                  || LPAD(CAST(p.source_row AS STRING), 8, '0') || p.source_sheet
