-- view: crypto_register
-- label: 国产密码应用台账 | Cryptography by system
-- as_of_function: crypto_register_as_of
-- description: Each system of the register in each year it existed (went live by the year's end,
-- or no date given; the years with a plan or an assessment), as of a date D, with the cryptography facts crypto_migration counts:
-- its crypto state (国产密码应用: domestic, migrating, none, or unknown when not stated),
-- whether it went live in the year without domestic cryptography (§三(二): new systems
-- must use it), whether its VPN/IPsec gateways, server crypto machines and smart keys lack
-- SM2, and its 密评 (商用密码应用安全性评估) of the year on or before D: passed, failed,
-- and for a pass, filed late — more than 30 days after the report, or not filed when 30
-- days had passed by the year's end (or D, if earlier). Classified systems are left out
-- (their cryptography is the secrecy bureau's).
-- column year: 年度 | the year
-- column system_id: 系统标识 | filing number (备案编号) when given, else a key from normalised unit + system
-- column department: 主管部门 | competent department, normalised name
-- column unit: 预算单位 | budget unit, normalised name
-- column system: 系统名称 | system name, normalised
-- column crypto: 国产密码应用 | domestic, migrating, none, or unknown (not stated)
-- column went_live_on: 上线时间 | when the system went live
-- column new_without_domestic: 新建未用国产密码 | went live in the year, crypto not domestic | short: 新建未用国密
-- column without_sm2: 产品不支持SM2 | its crypto products do not support SM2
-- column crypto_assessed_on: 密评日期 | date of the 密评 report
-- column crypto_result: 密评结论 | pass, basic_pass or fail
-- column crypto_filed_on: 密评备案日期 | when the passed 密评 was filed
-- column crypto_passed: 密评通过 | a 密评 of the year on or before D passed (符合 or 基本符合)
-- column crypto_failed: 密评未通过 | a 密评 of the year on or before D failed
-- column filed_late: 备案逾期 | passed, and filed more than 30 days after, or not at all when 30 days had passed
-- column source_file: 来源文件 | the register file the row came from
-- column source_sheet: 工作表 | sheet the row came from
-- column source_row: 行号 | 1-based row number as Excel shows it
WITH years AS (
    -- the office's years: those with a plan or an assessment (a DISTINCT of two columns,
    -- not of `year` alone: DataFusion 55 carries a unique `year` through the join with the
    -- register, then drops the department from an ORDER BY year, department)
    SELECT DISTINCT year, 1 AS one
    FROM (SELECT year FROM plan_items GROUP BY year
          UNION ALL
          SELECT year FROM assessments GROUP BY year) u
),
grid AS (
    SELECT y.year, s.*,
           LEAST({{as_of}}, make_date(y.year, 12, 31)) AS judged_on,
           s.crypto_result IN ('pass', 'basic_pass') AND s.crypto_assessed_on <= {{as_of}}
               AND EXTRACT(YEAR FROM s.crypto_assessed_on) = y.year AS passed_in_year
    FROM years y
    CROSS JOIN systems s
    WHERE y.year <= EXTRACT(YEAR FROM {{as_of}})
      AND (s.went_live_on IS NULL OR s.went_live_on <= make_date(y.year, 12, 31))
      AND (s.classified IS NULL OR NOT s.classified)
)
SELECT year, system_id, department, unit, system,
       COALESCE(crypto, 'unknown') AS crypto,
       went_live_on,
       went_live_on IS NOT NULL AND EXTRACT(YEAR FROM went_live_on) = year
           AND (crypto IS NULL OR crypto <> 'domestic') AS new_without_domestic,
       sm2_products IS NOT NULL AND NOT sm2_products AS without_sm2,
       crypto_assessed_on, crypto_result, crypto_filed_on,
       COALESCE(passed_in_year, FALSE) AS crypto_passed,
       COALESCE(crypto_result = 'fail' AND crypto_assessed_on <= {{as_of}}
                AND EXTRACT(YEAR FROM crypto_assessed_on) = year, FALSE) AS crypto_failed,
       COALESCE(passed_in_year AND (
           (crypto_filed_on <= judged_on AND crypto_filed_on > crypto_assessed_on + INTERVAL '30 days')
           OR ((crypto_filed_on IS NULL OR crypto_filed_on > judged_on)
               AND crypto_assessed_on + INTERVAL '30 days' < judged_on)
       ), FALSE) AS filed_late,
       source_file, source_sheet, source_row
FROM grid
