-- view: letters_due
-- label: 应发函件 | Letters due
-- as_of_function: letters_due_as_of
-- description: Units behind plan as of a date D (plans_behind) and the letter each is due for the
-- plan year, by the letters register (发函登记, DATA_MODEL.md): with no letter issued for that
-- unit and year, a 测评工作便函 (`notice`); after an issued 便函 whose reply deadline has passed
-- without a reply, a 督促函 (`urge`); after an answered letter, a new 便函 when systems are
-- still behind 90 days after the answer. No second letter goes out while one is awaiting its
-- reply (an unanswered 督促函 included: it stays on the scorecard). `basis` says which rule,
-- `prior_letter` the letter it follows.
-- column year: 计划年度 | plan year | short: 年度
-- column department: 主管部门 | competent department, normalised name
-- column unit: 预算单位 | budget unit, normalised name
-- column systems_behind: 滞后系统数 | systems behind their planned quarter | short: 滞后系统
-- column earliest_due: 最早应测日 | the earliest due date among the unit's systems | short: 最早应测
-- column days_late: 逾期天数 | days since the planned quarter ended | short: 滞后天数
-- column letter: 函件类型 | notice (便函) or urge (督促函) | short: 函件
-- column basis: 发函依据 | why this letter: no letter yet, a notice unanswered past its deadline, or still behind 90 days after a reply
-- column prior_letter: 前函 | the letter it follows (its number)
-- column as_of: 统计日期 | the date the row is evaluated on
WITH behind AS (
    SELECT year, department, unit,
           COUNT(DISTINCT system_id) AS systems_behind,
           MIN(due_by) AS earliest_due,
           MAX(days_late) AS days_late
    FROM plans_behind_as_of({{as_of}})
    GROUP BY year, department, unit
),
issued AS (
    SELECT year, unit, kind, letter_no, issued_on, reply_due_on,
           CASE WHEN replied_on <= {{as_of}} THEN replied_on END AS replied_on
    FROM letters
    WHERE issued_on <= {{as_of}}
),
latest_key AS (
    -- each unit's latest letter for the year: the latest issue date, then the highest number
    SELECT year, unit, MAX(CAST(issued_on AS STRING) || letter_no) AS issue_key
    FROM issued
    GROUP BY year, unit
),
latest AS (
    SELECT i.*
    FROM latest_key k
    JOIN issued i ON i.year = k.year AND i.unit = k.unit
     AND CAST(i.issued_on AS STRING) || i.letter_no = k.issue_key
),
decided AS (
    SELECT b.*, l.letter_no AS prior_letter,
           CASE
               WHEN l.letter_no IS NULL THEN 'notice'
               WHEN l.replied_on IS NOT NULL AND l.replied_on + INTERVAL '90 days' < {{as_of}} THEN 'notice'
               WHEN l.replied_on IS NULL AND l.kind = 'notice' AND l.reply_due_on < {{as_of}} THEN 'urge'
           END AS letter,
           CASE
               WHEN l.letter_no IS NULL THEN '未曾发函：先发测评工作便函'
               WHEN l.replied_on IS NOT NULL AND l.replied_on + INTERVAL '90 days' < {{as_of}} THEN '复函后90日仍滞后：再发便函'
               WHEN l.replied_on IS NULL AND l.kind = 'notice' AND l.reply_due_on < {{as_of}} THEN '便函逾期未复函：发督促函'
           END AS basis
    FROM behind b
    LEFT JOIN latest l ON l.year = b.year AND l.unit = b.unit
)
SELECT year, department, unit, systems_behind, earliest_due, days_late, letter, basis, prior_letter,
       {{as_of}} AS as_of
FROM decided
WHERE letter IS NOT NULL
