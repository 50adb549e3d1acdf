-- view: crypto_migration
-- label: 国产密码应用情况 | Domestic cryptography
-- as_of_function: crypto_migration_as_of
-- description: Per year and department, the move to domestic cryptography (国产密码, §三(二)) as of a
-- date D: systems in the register (by the year's end, classified ones left out) by their
-- crypto state — domestic (已采用), migrating (改造中), none (未采用), unknown (not stated);
-- new systems that went live in the year without domestic crypto; systems whose VPN/IPsec
-- gateways, server crypto machines or smart keys do not support SM2; 密评 of the year
-- passed and failed, and passed but not filed within 30 days. Per-system rows:
-- crypto_register.
-- column year: 年度 | the year
-- column department: 主管部门 | competent department, normalised name
-- column systems: 系统数 | systems in the register by the year's end (not classified)
-- column domestic: 已采用国产密码 | crypto domestic | short: 已采用
-- column migrating: 改造中 | crypto migrating
-- column none: 未采用 | crypto none
-- column unknown: 未填报 | crypto not stated
-- column new_without_domestic: 新建未用国产密码 | went live in the year without domestic crypto | short: 新建未用国密
-- column without_sm2: 产品不支持SM2 | systems whose crypto products do not support SM2 | short: 不支持SM2
-- column crypto_passed: 密评通过 | 密评 of the year passed (符合 or 基本符合)
-- column crypto_failed: 密评未通过 | 密评 of the year failed
-- column filed_late: 备案逾期 | passed but not filed within 30 days
SELECT year, department,
       COUNT(*) AS systems,
       CAST(SUM(CASE WHEN crypto = 'domestic' THEN 1 ELSE 0 END) AS BIGINT) AS domestic,
       CAST(SUM(CASE WHEN crypto = 'migrating' THEN 1 ELSE 0 END) AS BIGINT) AS migrating,
       CAST(SUM(CASE WHEN crypto = 'none' THEN 1 ELSE 0 END) AS BIGINT) AS none,
       CAST(SUM(CASE WHEN crypto = 'unknown' THEN 1 ELSE 0 END) AS BIGINT) AS unknown,
       CAST(SUM(CASE WHEN new_without_domestic THEN 1 ELSE 0 END) AS BIGINT) AS new_without_domestic,
       CAST(SUM(CASE WHEN without_sm2 THEN 1 ELSE 0 END) AS BIGINT) AS without_sm2,
       CAST(SUM(CASE WHEN crypto_passed THEN 1 ELSE 0 END) AS BIGINT) AS crypto_passed,
       CAST(SUM(CASE WHEN crypto_failed THEN 1 ELSE 0 END) AS BIGINT) AS crypto_failed,
       CAST(SUM(CASE WHEN filed_late THEN 1 ELSE 0 END) AS BIGINT) AS filed_late
FROM crypto_register_as_of({{as_of}})
GROUP BY year, department
