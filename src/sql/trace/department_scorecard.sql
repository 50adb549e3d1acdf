-- The rows behind a department's scorecard as of the date given (--date; filters: year,
-- quarter, department): each planned system of the year's current plan with where it
-- stands at each quarter's end (assessed, on time, behind), and each letter of the register
-- about the year with its reply. (Overdue systems: `ceping trace cycle_status --date E`.)
WITH ends AS (
    SELECT DISTINCT y.year, CAST(q.quarter AS TINYINT) AS quarter,
           CAST(LEAST({{as_of}}, make_date(y.year, q.quarter * 3, 1) + INTERVAL '1 month' - INTERVAL '1 day') AS DATE)
               AS quarter_end
    FROM (SELECT year, revision FROM plan_items GROUP BY year, revision) y
    CROSS JOIN (VALUES (1), (2), (3), (4)) AS q(quarter)
    WHERE make_date(y.year, q.quarter * 3 - 2, 1) <= {{as_of}}
),
first_assessed AS (
    SELECT year, system_id, MIN(assessed_on) AS first_on FROM assessments GROUP BY year, system_id
)
SELECT e.year, e.quarter, p.department, 'plan' AS kind, p.system AS item,
       CASE WHEN a.first_on <= e.quarter_end THEN 'assessed'
            WHEN CAST(CASE WHEN p.planned_quarter IS NULL THEN make_date(p.year, 12, 31)
                           ELSE make_date(p.year, p.planned_quarter * 3, 1) + INTERVAL '1 month' - INTERVAL '1 day' END AS DATE)
                 < e.quarter_end THEN 'behind'
            ELSE 'not yet due' END AS status,
       p.source_file, p.source_sheet, p.source_row
FROM ends e
JOIN plan_items_current p ON p.year = e.year
LEFT JOIN first_assessed a ON a.year = p.year AND a.system_id = p.system_id
UNION ALL
SELECT e.year, e.quarter, l.department, 'letter', l.letter_no,
       CASE WHEN l.replied_on <= e.quarter_end THEN 'answered' ELSE 'unanswered' END,
       l.source_file, l.source_sheet, l.source_row
FROM ends e
JOIN letters l ON l.year = e.year AND l.issued_on <= e.quarter_end
