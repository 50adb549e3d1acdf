-- view: department_scorecard
-- label: 各主管部门落实情况 | Department scorecard
-- as_of_function: department_scorecard_as_of
-- description: Each department's part per year and quarter (网络安全工作责任制), as of each quarter's
-- last day E (and, for the quarter D falls in, D itself; quarters after D have no row):
-- `planned`, the systems of the year's current plan; `assessed`, those assessed in the plan
-- year by E; `on_time`, of those, assessed by their planned quarter's end (the year's end
-- without one); `behind`, planned and not assessed with the planned quarter over before E
-- (classified systems never: they are outside the cycle); `overdue`, the department's
-- systems overdue by the cycle rules at E (as cycle_status_as_of(E) counts them: the rules
-- are repeated here for every E, and tests/it/accountability.rs holds the two equal);
-- `rectified`, systems with rectification complete at E (rectification_by_system);
-- `rectification_late`, systems whose renovation rectification is past its deadline at E
-- (rectification_schedule's rule); `letters_sent` / `letters_unanswered`, letters of the
-- register about the year issued by E, and of them not answered by E; `budget_gaps`, rows
-- of budget_gaps for the year; `rank`, 1 = furthest behind: most behind, then most overdue.
-- column year: 计划年度 | plan year | short: 年度
-- column quarter: 季度 | quarter
-- column quarter_end: 季末 | the day the row is evaluated on: the quarter's last day, or D
-- column department: 主管部门 | competent department, normalised name
-- column planned: 计划系统数 | systems in the year's current plan | short: 计划
-- column assessed: 已测系统数 | planned systems assessed in the plan year by the quarter's end | short: 已测
-- column on_time: 按期完成 | of those, assessed by their planned quarter's end | short: 按期
-- column behind: 滞后系统数 | planned, not assessed, the planned quarter over | short: 滞后
-- column overdue: 逾期系统数 | systems overdue by the cycle rules at the quarter's end | short: 超周期
-- column rectified: 整改完成系统数 | systems with rectification complete at the quarter's end | short: 整改完成
-- column rectification_late: 整改超期系统数 | systems whose renovation rectification is past its deadline | short: 整改超期
-- column letters_sent: 已发函件 | letters about the year issued by the quarter's end | short: 发函
-- column letters_unanswered: 未复函件 | of them, not answered by the quarter's end | short: 未复函
-- column budget_gaps: 经费核查问题 | rows of budget_gaps for the year | short: 经费问题
-- column rank: 落后排名 | 1 = furthest behind: most behind, then most overdue | short: 排名
WITH ends AS (
    -- every quarter of every plan year up to D (D itself for D's quarter); a DISTINCT of
    -- several columns (see execution_by_quarter.sql for DataFusion 55's DISTINCT year)
    SELECT DISTINCT y.year, CAST(q.quarter AS TINYINT) AS quarter,
           CAST(LEAST({{as_of}}, make_date(y.year, q.quarter * 3, 1) + INTERVAL '1 month' - INTERVAL '1 day') AS DATE)
               AS quarter_end
    FROM (SELECT year, revision FROM plan_items GROUP BY year, revision) y
    CROSS JOIN (VALUES (1), (2), (3), (4)) AS q(quarter)
    WHERE make_date(y.year, q.quarter * 3 - 2, 1) <= {{as_of}}
),
departments AS (
    SELECT DISTINCT year, department FROM plan_items_current WHERE department IS NOT NULL
),
grid AS (
    SELECT e.year, e.quarter, e.quarter_end, d.department
    FROM ends e JOIN departments d ON d.year = e.year
),
planned AS (
    -- each planned system once: its department, its due date, its first assessment that year
    SELECT p.year, p.department, p.system_id,
           MIN(CAST(CASE WHEN p.planned_quarter IS NULL THEN make_date(p.year, 12, 31)
                         ELSE make_date(p.year, p.planned_quarter * 3, 1) + INTERVAL '1 month' - INTERVAL '1 day' END AS DATE))
               AS due_by,
           MIN(a.first_on) AS first_on,
           MAX(CASE WHEN s.classified THEN 1 ELSE 0 END) AS classified
    FROM plan_items_current p
    LEFT JOIN (SELECT year, system_id, MIN(assessed_on) AS first_on FROM assessments GROUP BY year, system_id) a
      ON a.year = p.year AND a.system_id = p.system_id
    LEFT JOIN systems s ON s.system_id = p.system_id
    WHERE p.department IS NOT NULL
    GROUP BY p.year, p.department, p.system_id
),
plan_figures AS (
    SELECT g.year, g.quarter, g.department,
           COUNT(p.system_id) AS planned,
           SUM(CASE WHEN p.first_on <= g.quarter_end THEN 1 ELSE 0 END) AS assessed,
           SUM(CASE WHEN p.first_on <= g.quarter_end AND p.first_on <= p.due_by THEN 1 ELSE 0 END) AS on_time,
           SUM(CASE WHEN p.classified = 0 AND p.due_by < g.quarter_end
                     AND (p.first_on IS NULL OR p.first_on > g.quarter_end) THEN 1 ELSE 0 END) AS behind
    FROM grid g
    JOIN planned p ON p.year = g.year AND p.department = g.department
    GROUP BY g.year, g.quarter, g.department
),
-- The cycle at each E: cycle_status's rules, for every system and every E.
last_key AS (
    SELECT e.year, e.quarter, a.system_id, MAX(CAST(a.assessed_on AS STRING) || a.assessment_id) AS date_and_id
    FROM ends e
    JOIN assessments a ON a.assessed_on <= e.quarter_end
    GROUP BY e.year, e.quarter, a.system_id
),
last_at AS (
    SELECT k.year, k.quarter, a.system_id, a.department, a.level, a.assessed_on
    FROM last_key k
    JOIN assessments a ON a.system_id = k.system_id AND CAST(a.assessed_on AS STRING) || a.assessment_id = k.date_and_id
),
plan_at AS (
    SELECT e.year, e.quarter, p.system_id, p.department, p.level, p.last_assessed, p.reason, p.year AS plan_year,
           p.trial_ended_on,
           CAST(CASE WHEN p.planned_quarter IS NULL THEN make_date(p.year, 12, 31)
                     ELSE make_date(p.year, p.planned_quarter * 3, 1) + INTERVAL '1 month' - INTERVAL '1 day' END AS DATE)
               AS planned_by
    FROM ends e CROSS JOIN plan_latest p
),
known_at AS (
    SELECT COALESCE(p.year, a.year) AS year, COALESCE(p.quarter, a.quarter) AS quarter,
           COALESCE(p.system_id, a.system_id) AS system_id,
           COALESCE(p.department, a.department) AS department,
           COALESCE(a.level, p.level) AS level,
           COALESCE(a.assessed_on, p.last_assessed) AS last_assessed,
           p.reason, p.plan_year, p.trial_ended_on, p.planned_by
    FROM plan_at p
    FULL OUTER JOIN last_at a ON a.year = p.year AND a.quarter = p.quarter AND a.system_id = p.system_id
),
register_at AS (
    SELECT e.year, e.quarter, e.quarter_end, s.system_id, s.department, s.level, s.cii, s.classified,
           CASE WHEN s.last_major_change_on <= e.quarter_end THEN s.last_major_change_on END AS changed_on,
           s.went_live_on
    FROM ends e CROSS JOIN systems s
),
facts_at AS (
    SELECT e.year, e.quarter, e.quarter_end,
           COALESCE(k.system_id, r.system_id) AS system_id,
           COALESCE(k.department, r.department) AS department,
           COALESCE(k.level, r.level) AS level,
           k.last_assessed, k.reason, k.plan_year, k.trial_ended_on, k.planned_by,
           COALESCE(r.cii, FALSE) AS cii, r.changed_on, r.went_live_on
    FROM known_at k
    FULL OUTER JOIN register_at r ON r.year = k.year AND r.quarter = k.quarter AND r.system_id = k.system_id
    JOIN ends e ON e.year = COALESCE(k.year, r.year) AND e.quarter = COALESCE(k.quarter, r.quarter)
    WHERE r.classified IS NULL OR NOT r.classified
),
due_at AS (
    SELECT year, quarter, quarter_end, department,
           CAST(CASE
               WHEN reason = 'new' AND trial_ended_on IS NOT NULL
                    AND (last_assessed IS NULL OR last_assessed < trial_ended_on) THEN trial_ended_on + INTERVAL '30 days'
               WHEN changed_on IS NOT NULL AND last_assessed IS NOT NULL AND changed_on > last_assessed THEN changed_on
               WHEN reason = 'change' AND (last_assessed IS NULL OR last_assessed < make_date(plan_year, 1, 1)) THEN planned_by
               WHEN last_assessed IS NULL AND plan_year IS NOT NULL THEN planned_by
               WHEN last_assessed IS NULL AND went_live_on IS NOT NULL THEN went_live_on + INTERVAL '30 days'
               WHEN last_assessed IS NULL THEN NULL
               WHEN cii THEN last_assessed + INTERVAL '1 year'
               WHEN level IS NULL OR level >= 3 THEN last_assessed + INTERVAL '1 year'
               ELSE last_assessed + INTERVAL '2 years'
           END AS DATE) AS next_due
    FROM facts_at
),
overdue_at AS (
    SELECT year, quarter, department, COUNT(*) AS overdue
    FROM due_at
    WHERE next_due < quarter_end
    GROUP BY year, quarter, department
),
rectified_at AS (
    SELECT r.year, r.quarter, r.department, COUNT(DISTINCT r.system_id) AS rectified
    FROM rectification_by_system r
    JOIN ends e ON e.year = r.year AND e.quarter = r.quarter
    WHERE r.complete
    GROUP BY r.year, r.quarter, r.department
),
renovation AS (
    -- each assessment with renovation findings: its deadline, and the day the last was fixed
    -- (null while any is open)
    SELECT a.department, a.system_id,
           CAST(make_date(a.year + 2 * (CASE WHEN a.assessed_on <= make_date(a.year, 6, 30) THEN 0 ELSE 1 END), 12, 31) AS DATE)
               AS deadline,
           CASE WHEN COUNT(f.fixed_on) = COUNT(*) THEN MAX(f.fixed_on) END AS done_on
    FROM findings f
    JOIN assessments_enriched a ON a.assessment_id = f.assessment_id
    WHERE f.remedy = 'renovation'
    GROUP BY a.department, a.system_id, a.assessment_id, a.year, a.assessed_on
),
late_at AS (
    SELECT e.year, e.quarter, r.department, COUNT(DISTINCT r.system_id) AS rectification_late
    FROM ends e
    JOIN renovation r ON r.deadline < e.quarter_end
    WHERE r.done_on IS NULL OR r.done_on > e.quarter_end
    GROUP BY e.year, e.quarter, r.department
),
letters_at AS (
    SELECT e.year, e.quarter, l.department,
           COUNT(*) AS letters_sent,
           SUM(CASE WHEN l.replied_on IS NULL OR l.replied_on > e.quarter_end THEN 1 ELSE 0 END) AS letters_unanswered
    FROM ends e
    JOIN letters l ON l.year = e.year AND l.issued_on <= e.quarter_end
    GROUP BY e.year, e.quarter, l.department
),
gaps AS (
    SELECT year, department, COUNT(*) AS budget_gaps FROM budget_gaps GROUP BY year, department
),
card AS (
    SELECT g.year, g.quarter, g.quarter_end, g.department,
           CAST(COALESCE(p.planned, 0) AS BIGINT) AS planned,
           CAST(COALESCE(p.assessed, 0) AS BIGINT) AS assessed,
           CAST(COALESCE(p.on_time, 0) AS BIGINT) AS on_time,
           CAST(COALESCE(p.behind, 0) AS BIGINT) AS behind,
           CAST(COALESCE(o.overdue, 0) AS BIGINT) AS overdue,
           CAST(COALESCE(r.rectified, 0) AS BIGINT) AS rectified,
           CAST(COALESCE(l.rectification_late, 0) AS BIGINT) AS rectification_late,
           CAST(COALESCE(t.letters_sent, 0) AS BIGINT) AS letters_sent,
           CAST(COALESCE(t.letters_unanswered, 0) AS BIGINT) AS letters_unanswered,
           CAST(COALESCE(b.budget_gaps, 0) AS BIGINT) AS budget_gaps
    FROM grid g
    LEFT JOIN plan_figures p ON p.year = g.year AND p.quarter = g.quarter AND p.department = g.department
    LEFT JOIN overdue_at o ON o.year = g.year AND o.quarter = g.quarter AND o.department = g.department
    LEFT JOIN rectified_at r ON r.year = g.year AND r.quarter = g.quarter AND r.department = g.department
    LEFT JOIN late_at l ON l.year = g.year AND l.quarter = g.quarter AND l.department = g.department
    LEFT JOIN letters_at t ON t.year = g.year AND t.quarter = g.quarter AND t.department = g.department
    LEFT JOIN gaps b ON b.year = g.year AND b.department = g.department
)
SELECT *,
       RANK() OVER (PARTITION BY year, quarter ORDER BY behind DESC, overdue DESC) AS rank
FROM card
