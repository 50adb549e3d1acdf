-- Rectification per year and quarter (测评整改), as of each quarter's last day D. A system
-- counts for year Y when its latest assessment on or before D was made in Y; its
-- rectification is complete when that assessment has at least one finding and every one
-- has fixed_on <= D (DATA_MODEL.md). departments/units/systems: distinct, with
-- rectification complete; systems_assessed: systems counted; findings: of those
-- assessments; fixed by D; overdue: due before D and not fixed by D. Per-system rows:
-- rectification_by_system.
WITH grid AS (
    -- (years from a GROUP BY of two columns, not a DISTINCT year: DataFusion 55 carries a
    -- DISTINCT year's uniqueness through the CROSS JOIN, then drops `quarter` from an
    -- ORDER BY year, quarter and merges quarters in a GROUP BY)
    SELECT DISTINCT y.year, CAST(q.quarter AS TINYINT) AS quarter,
           CAST(make_date(y.year, q.quarter * 3, 1) + INTERVAL '1 month' - INTERVAL '1 day' AS DATE) AS quarter_end
    FROM (SELECT year, quarter FROM assessments GROUP BY year, quarter) y
    CROSS JOIN (VALUES (1), (2), (3), (4)) AS q(quarter)
)
SELECT g.year,
       g.quarter,
       g.quarter_end,
       COUNT(DISTINCT CASE WHEN s.complete THEN s.department END) AS departments,
       COUNT(DISTINCT CASE WHEN s.complete THEN s.unit END) AS units,
       -- rectification_by_system has one row per year, quarter and system, so counting
       -- its rows is the distinct count of systems (tests check that key)
       COUNT(CASE WHEN s.complete THEN s.system_id END) AS systems,
       COUNT(s.system_id) AS systems_assessed,
       CAST(COALESCE(SUM(s.findings), 0) AS BIGINT) AS findings,
       CAST(COALESCE(SUM(s.findings_fixed), 0) AS BIGINT) AS findings_fixed,
       CAST(COALESCE(SUM(s.findings_overdue), 0) AS BIGINT) AS findings_overdue
FROM grid g
LEFT JOIN rectification_by_system s ON s.year = g.year AND s.quarter = g.quarter
GROUP BY g.year, g.quarter, g.quarter_end
