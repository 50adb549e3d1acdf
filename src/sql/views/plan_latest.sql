-- The newest plan row of every system: from the latest plan year listing it, that year's
-- highest revision listing it, the first such row (by sheet row, then sheet name; one
-- revision is one workbook, so the four name one row). Where
-- assessments_enriched and cycle_status take a system's names, level and reason from.
-- (One aggregate and one equi-join, not ROW_NUMBER(): DataFusion 55 spends ~3 µs a row on
-- a window over a million one-row partitions, and it plans a CTE once per use, so the
-- query names no CTE twice; docs/PERFORMANCE.md, "Metric views at scale".)
WITH firsts AS (
    -- one sortable key per row: newest year and revision first, then the lowest row, then
    -- the sheet name (revision ≤ 9999 and row ≤ 99,999,999 keep the fields aligned)
    SELECT system_id,
           MIN(LPAD(CAST(99999999 - (year * 10000 + revision) AS VARCHAR), 8, '0')
               || LPAD(CAST(source_row AS VARCHAR), 8, '0') || source_sheet) AS rank_key
    FROM plan_items
    GROUP BY system_id
)
-- (`firsts` on the left: DataFusion builds its hash table from the left side, and the
-- 625,000 keys of a 1M-row plan take half the memory of the plan's rows)
SELECT p.*
FROM firsts f
JOIN plan_items p
  ON f.system_id = p.system_id
 AND f.rank_key = LPAD(CAST(99999999 - (p.year * 10000 + p.revision) AS VARCHAR), 8, '0')
                  || LPAD(CAST(p.source_row AS VARCHAR), 8, '0') || p.source_sheet
