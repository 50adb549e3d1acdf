-- view: findings_by_source
-- label: 分来源整改情况 | Findings by source
-- description: Findings by source per year and quarter, as of each quarter's last day D: from
-- assessments (测评), security inspections (安全检查) and monitoring (安全监测, DATA_MODEL.md:
-- they are rectified like assessment findings). A finding counts for year Y when it was
-- found in Y on or before D (an assessment finding on its assessment's date); fixed by D;
-- overdue when its deadline — the approved extension when there is one — is before D and it
-- is not fixed by D; extended when it has an extension (延期), counted whatever else it is,
-- so an extension never hides that an item was late. Every quarter of every year with a
-- finding has a row per source.
-- column year: 年度 | the year the findings were found in
-- column quarter: 季度 | quarter
-- column quarter_end: 季末 | last day of the quarter
-- column source: 问题来源 | assessment (测评), inspection (安全检查), monitoring (安全监测)
-- column findings: 问题数 | findings of the source found in the year by the quarter's end
-- column findings_fixed: 已整改问题数 | of them, fixed by the quarter's end | short: 已整改
-- column findings_overdue: 逾期未整改问题数 | of them, past the deadline (or extension) and not fixed | short: 逾期未改
-- column findings_extended: 已延期问题数 | of them, with an approved extension | short: 已延期
WITH found AS (
    SELECT COALESCE(f.source, 'assessment') AS source,
           COALESCE(f.found_on, a.assessed_on) AS found_on,
           COALESCE(f.extended_to, f.due_on) AS deadline,
           f.fixed_on,
           f.extended_to
    FROM findings f
    LEFT JOIN assessments a ON a.assessment_id = f.assessment_id
),
per_year AS (
    -- one pass over the findings: each year's and source's counts as of each quarter end
    -- (conditional sums, not a join of every finding with every quarter)
    SELECT CAST(EXTRACT(YEAR FROM found_on) AS INT) AS year, source,
           SUM(CASE WHEN EXTRACT(MONTH FROM found_on) <= 3 THEN 1 ELSE 0 END) AS found_1,
           SUM(CASE WHEN EXTRACT(MONTH FROM found_on) <= 6 THEN 1 ELSE 0 END) AS found_2,
           SUM(CASE WHEN EXTRACT(MONTH FROM found_on) <= 9 THEN 1 ELSE 0 END) AS found_3,
           COUNT(*) AS found_4,
           SUM(CASE WHEN EXTRACT(MONTH FROM found_on) <= 3 AND fixed_on <= make_date(EXTRACT(YEAR FROM found_on), 3, 31) THEN 1 ELSE 0 END) AS fixed_1,
           SUM(CASE WHEN EXTRACT(MONTH FROM found_on) <= 6 AND fixed_on <= make_date(EXTRACT(YEAR FROM found_on), 6, 30) THEN 1 ELSE 0 END) AS fixed_2,
           SUM(CASE WHEN EXTRACT(MONTH FROM found_on) <= 9 AND fixed_on <= make_date(EXTRACT(YEAR FROM found_on), 9, 30) THEN 1 ELSE 0 END) AS fixed_3,
           SUM(CASE WHEN fixed_on <= make_date(EXTRACT(YEAR FROM found_on), 12, 31) THEN 1 ELSE 0 END) AS fixed_4,
           SUM(CASE WHEN EXTRACT(MONTH FROM found_on) <= 3 AND deadline < make_date(EXTRACT(YEAR FROM found_on), 3, 31)
                     AND (fixed_on IS NULL OR fixed_on > make_date(EXTRACT(YEAR FROM found_on), 3, 31)) THEN 1 ELSE 0 END) AS overdue_1,
           SUM(CASE WHEN EXTRACT(MONTH FROM found_on) <= 6 AND deadline < make_date(EXTRACT(YEAR FROM found_on), 6, 30)
                     AND (fixed_on IS NULL OR fixed_on > make_date(EXTRACT(YEAR FROM found_on), 6, 30)) THEN 1 ELSE 0 END) AS overdue_2,
           SUM(CASE WHEN EXTRACT(MONTH FROM found_on) <= 9 AND deadline < make_date(EXTRACT(YEAR FROM found_on), 9, 30)
                     AND (fixed_on IS NULL OR fixed_on > make_date(EXTRACT(YEAR FROM found_on), 9, 30)) THEN 1 ELSE 0 END) AS overdue_3,
           SUM(CASE WHEN deadline < make_date(EXTRACT(YEAR FROM found_on), 12, 31)
                     AND (fixed_on IS NULL OR fixed_on > make_date(EXTRACT(YEAR FROM found_on), 12, 31)) THEN 1 ELSE 0 END) AS overdue_4,
           SUM(CASE WHEN EXTRACT(MONTH FROM found_on) <= 3 AND extended_to IS NOT NULL THEN 1 ELSE 0 END) AS extended_1,
           SUM(CASE WHEN EXTRACT(MONTH FROM found_on) <= 6 AND extended_to IS NOT NULL THEN 1 ELSE 0 END) AS extended_2,
           SUM(CASE WHEN EXTRACT(MONTH FROM found_on) <= 9 AND extended_to IS NOT NULL THEN 1 ELSE 0 END) AS extended_3,
           SUM(CASE WHEN extended_to IS NOT NULL THEN 1 ELSE 0 END) AS extended_4
    FROM found
    WHERE found_on IS NOT NULL
    GROUP BY CAST(EXTRACT(YEAR FROM found_on) AS INT), source
)
SELECT p.year, CAST(q.quarter AS TINYINT) AS quarter,
       CAST(make_date(p.year, q.quarter * 3, 1) + INTERVAL '1 month' - INTERVAL '1 day' AS DATE) AS quarter_end,
       p.source,
       CAST(CASE q.quarter WHEN 1 THEN found_1 WHEN 2 THEN found_2 WHEN 3 THEN found_3 ELSE found_4 END AS BIGINT) AS findings,
       CAST(CASE q.quarter WHEN 1 THEN fixed_1 WHEN 2 THEN fixed_2 WHEN 3 THEN fixed_3 ELSE fixed_4 END AS BIGINT) AS findings_fixed,
       CAST(CASE q.quarter WHEN 1 THEN overdue_1 WHEN 2 THEN overdue_2 WHEN 3 THEN overdue_3 ELSE overdue_4 END AS BIGINT) AS findings_overdue,
       CAST(CASE q.quarter WHEN 1 THEN extended_1 WHEN 2 THEN extended_2 WHEN 3 THEN extended_3 ELSE extended_4 END AS BIGINT) AS findings_extended
FROM per_year p
CROSS JOIN (VALUES (1), (2), (3), (4)) AS q(quarter)
