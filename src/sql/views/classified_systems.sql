-- view: classified_systems
-- label: 涉密信息系统 | Classified systems
-- description: Classified systems (涉密信息系统) of the system register: they follow the secrecy
-- bureau's graded protection (管理办法第七条), not this cycle, so they have no row in
-- cycle_status, are never behind plan and get no letter; reports count them separately
-- (涉密系统 N 个，按分级保护管理，不纳入本周期). `in_plan_year`: the latest plan year that
-- lists the system, if any.
-- column system_id: 系统标识 | filing number (备案编号) when given, else a key from normalised unit + system
-- column department: 主管部门 | competent department, normalised name
-- column unit: 预算单位 | budget unit, normalised name
-- column system: 系统名称 | system name, normalised
-- column level: 安全保护等级 | protection level 1–5; null when not stated
-- column in_plan_year: 列入计划年度 | the latest plan year listing the system
-- column rule: 依据 | why the system is outside the cycle
-- column source_file: 来源文件 | the register file that marks it classified
-- column source_sheet: 工作表 | sheet the row came from
-- column source_row: 行号 | 1-based row number as Excel shows it
SELECT s.system_id, s.department, s.unit, s.system, s.level,
       p.in_plan_year,
       '管理办法第七条：涉密信息系统按分级保护管理，不纳入本周期' AS rule,
       s.source_file, s.source_sheet, s.source_row
FROM systems s
LEFT JOIN (SELECT system_id, MAX(year) AS in_plan_year FROM plan_items GROUP BY system_id) p
  ON p.system_id = s.system_id
WHERE s.classified
