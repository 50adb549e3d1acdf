-- The letters behind letters_sent on a date (--date; filters: year, department, unit):
-- every letter issued by then, with where its reply stands.
SELECT year, department, unit, letter_no, kind, issued_on, reply_due_on, replied_on, reply,
       source_file, source_sheet, source_row
FROM letter_replies_as_of({{as_of}})
WHERE reply <> 'not_issued'
