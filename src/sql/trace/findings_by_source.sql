-- The findings behind findings_by_source (filters: year, quarter): each finding with the
-- quarters of its year it counts in.
SELECT CAST(EXTRACT(YEAR FROM COALESCE(f.found_on, a.assessed_on)) AS INT) AS year,
       CAST(EXTRACT(QUARTER FROM COALESCE(f.found_on, a.assessed_on)) AS INT) AS quarter,
       COALESCE(f.source, 'assessment') AS source, f.finding_id, f.system_id,
       COALESCE(f.found_on, a.assessed_on) AS found_on, f.due_on, f.extended_to, f.fixed_on,
       f.source_file, f.source_sheet, f.source_row
FROM findings f
LEFT JOIN assessments a ON a.assessment_id = f.assessment_id
