-- The register rows behind letter_replies on a date (--date; filters: year, department, unit).
SELECT year, department, unit, letter_no, kind, issued_on, reply_due_on, replied_on, reply,
       source_file, source_sheet, source_row
FROM letter_replies_as_of({{as_of}})
