-- The register rows behind each crypto_migration figure on a date (--date; filters: year,
-- department, unit): one row per system and year, with what it counts in.
SELECT year, department, unit, system, system_id, crypto, new_without_domestic, without_sm2,
       crypto_passed, crypto_failed, filed_late, source_file, source_sheet, source_row
FROM crypto_register_as_of({{as_of}})
