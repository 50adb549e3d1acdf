-- view: plan_changes
-- label: 计划修订变化 | Plan changes between revisions
-- description: Plan changes between consecutive revisions of a year's plan (第2版较第1版), matched by
-- system_id: `added` (in the later revision only), `removed` (in the earlier only),
-- `level_changed`, `moved` (another unit or department) and `renamed` (another system
-- name), with the value before and after (the system name for added and removed, the
-- level, "department / unit", the name). One row per change; a system moved and renamed
-- has two. department, unit, system: the later revision's, the earlier's for `removed`.
-- A system without a filing number is keyed by unit + name, so moving or renaming it
-- reads as one `removed` and one `added`.
-- column year: 计划年度 | plan year | short: 年度
-- column from_revision: 原版次 | the earlier revision compared
-- column to_revision: 新版次 | the later revision compared
-- column system_id: 系统标识 | filing number (备案编号) when given, else a key from normalised unit + system
-- column department: 主管部门 | competent department, normalised name
-- column unit: 预算单位 | budget unit, normalised name
-- column system: 系统名称 | system name, normalised
-- column change: 变化 | added, removed, level_changed, moved or renamed
-- column before: 变更前 | the value in the earlier revision (name, level, department / unit)
-- column after: 变更后 | the value in the later revision (name, level, department / unit)
WITH revisions AS (SELECT DISTINCT year, revision FROM plan_items),
pairs AS (
    -- each revision and the next one loaded for the same year
    SELECT r1.year, r1.revision AS from_revision, MIN(r2.revision) AS to_revision
    FROM revisions r1
    JOIN revisions r2 ON r2.year = r1.year AND r2.revision > r1.revision
    GROUP BY r1.year, r1.revision
),
listed AS (
    -- one row per system and revision (a system listed twice in one revision: the
    -- smallest of each field)
    SELECT year, revision, system_id, MIN(department) AS department, MIN(unit) AS unit,
           MIN(system) AS system, MIN(level) AS level
    FROM plan_items
    GROUP BY year, revision, system_id
),
before_side AS (
    SELECT p.year, p.from_revision, p.to_revision, l.system_id, l.department, l.unit, l.system, l.level
    FROM pairs p JOIN listed l ON l.year = p.year AND l.revision = p.from_revision
),
after_side AS (
    SELECT p.year, p.from_revision, p.to_revision, l.system_id, l.department, l.unit, l.system, l.level
    FROM pairs p JOIN listed l ON l.year = p.year AND l.revision = p.to_revision
),
compared AS (
    SELECT COALESCE(a.year, b.year) AS year,
           COALESCE(a.from_revision, b.from_revision) AS from_revision,
           COALESCE(a.to_revision, b.to_revision) AS to_revision,
           COALESCE(a.system_id, b.system_id) AS system_id,
           b.system_id IS NOT NULL AS in_before, a.system_id IS NOT NULL AS in_after,
           b.department AS department_before, b.unit AS unit_before, b.system AS system_before, b.level AS level_before,
           a.department AS department_after, a.unit AS unit_after, a.system AS system_after, a.level AS level_after
    FROM before_side b
    FULL OUTER JOIN after_side a
      ON a.year = b.year AND a.from_revision = b.from_revision AND a.system_id = b.system_id
)
SELECT c.year, c.from_revision, c.to_revision, c.system_id,
       COALESCE(c.department_after, c.department_before) AS department,
       COALESCE(c.unit_after, c.unit_before) AS unit,
       COALESCE(c.system_after, c.system_before) AS system,
       k.change,
       CASE k.change
           WHEN 'removed' THEN c.system_before
           WHEN 'level_changed' THEN CAST(c.level_before AS STRING)
           WHEN 'moved' THEN c.department_before || ' / ' || c.unit_before
           WHEN 'renamed' THEN c.system_before
       END AS before,
       CASE k.change
           WHEN 'added' THEN c.system_after
           WHEN 'level_changed' THEN CAST(c.level_after AS STRING)
           WHEN 'moved' THEN c.department_after || ' / ' || c.unit_after
           WHEN 'renamed' THEN c.system_after
       END AS after
FROM compared c
CROSS JOIN (VALUES ('added'), ('removed'), ('level_changed'), ('moved'), ('renamed')) AS k(change)
WHERE CASE k.change
          WHEN 'added' THEN NOT c.in_before
          WHEN 'removed' THEN NOT c.in_after
          WHEN 'level_changed' THEN c.in_before AND c.in_after AND (c.level_before IS DISTINCT FROM c.level_after)
          WHEN 'moved' THEN c.in_before AND c.in_after
                            AND ((c.department_before IS DISTINCT FROM c.department_after)
                                 OR (c.unit_before IS DISTINCT FROM c.unit_after))
          ELSE c.in_before AND c.in_after AND (c.system_before IS DISTINCT FROM c.system_after)
      END
