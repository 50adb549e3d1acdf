-- view: findings_unmatched
-- label: 未匹配测评报告的问题 | Findings without a matching assessment
-- description: Findings whose report number (报告编号) matches no loaded assessment: kept, never dropped,
-- and listed here for the assessment centre to resolve.
-- column finding_id: 问题编号 | report number + item number
-- column assessment_id: 报告编号 | report number; derived from system and date when absent
-- column system_id: 系统标识 | filing number (备案编号) when given, else a key from normalised unit + system
-- column risk: 风险等级 | high, medium, low (高/中/低风险)
-- column category: 安全类别 | MLPS 2.0 control area, e.g. 安全计算环境
-- column description: 问题描述 | what was found
-- column remedy: 整改方式 | immediate (即知即改) or renovation (系统改造)
-- column due_on: 整改期限 | rectification deadline
-- column source: 问题来源 | assessment (测评), inspection (安全检查), monitoring (安全监测)
-- column found_on: 发现日期 | the assessment's date, or the inspection / monitoring date
-- column extended_to: 延期至 | an approved extension (延期): overdue is judged against it
-- column extension_reason: 延期原因 | why the extension was granted
-- column status: 整改状态 | open, in_progress, fixed | short: 状态
-- column fixed_on: 完成日期 | null unless fixed
-- column cost: 整改费用 | rectification cost, yuan
-- column source_file: 来源文件 | file name as given to `ceping ingest`
-- column source_sha256: 文件摘要 | SHA-256 of the file's bytes
-- column source_sheet: 工作表 | sheet the row came from
-- column source_row: 行号 | 1-based row number as Excel shows it
SELECT f.*
FROM findings f
WHERE COALESCE(f.source, 'assessment') = 'assessment'
  AND NOT EXISTS (SELECT 1 FROM assessments a WHERE a.assessment_id = f.assessment_id)
