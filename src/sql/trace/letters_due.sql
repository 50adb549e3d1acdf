-- The rows behind letters_due, as of the date given (filters: year, department, unit): the
-- plan (or register) rows of the systems behind, and the register row of the letter it
-- follows.
SELECT p.year, p.department, p.unit, 'behind' AS kind, p.system AS item, p.due_by AS dated,
       p.source_file, p.source_sheet, p.source_row
FROM plans_behind_as_of({{as_of}}) p
JOIN letters_due_as_of({{as_of}}) l ON l.year = p.year AND l.unit = p.unit
UNION ALL
SELECT l.year, l.department, l.unit, 'prior_letter', r.letter_no, r.issued_on,
       r.source_file, r.source_sheet, r.source_row
FROM letters_due_as_of({{as_of}}) l
JOIN letters r ON r.letter_no = l.prior_letter
