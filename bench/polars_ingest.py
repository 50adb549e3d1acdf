#!/usr/bin/env python3
"""What an analyst would do without ceping: polars read_excel (calamine engine) then
write_delta. No normalising, no rejects. `python3 bench/polars_ingest.py FILE.xlsx OUT_DIR`"""
import sys

import polars as pl

df = pl.read_excel(sys.argv[1], engine="calamine", read_options={"header_row": 1})
df.write_delta(sys.argv[2], mode="overwrite")
print(df.height, "rows")
