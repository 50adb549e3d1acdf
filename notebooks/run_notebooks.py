#!/usr/bin/env python3
"""Checks that the notebooks are committed without outputs, then executes each headless
(nbclient) against CEPING_WAREHOUSE. Any failing cell or assertion fails the run.
    python3 notebooks/run_notebooks.py [--check-only]"""
import os
import sys

import nbformat
from nbclient import NotebookClient

HERE = os.path.dirname(os.path.abspath(__file__))
names = sorted(n for n in os.listdir(HERE) if n.endswith(".ipynb"))
dirty = [n for n in names for c in nbformat.read(os.path.join(HERE, n), as_version=4).cells
         if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))]
if dirty:
    sys.exit(f"notebooks committed with outputs: {sorted(set(dirty))}; clear them (python3 notebooks/make_notebooks.py)")
print(f"{len(names)} notebooks, committed without outputs")
if "--check-only" in sys.argv:
    sys.exit(0)
passed = 0
for n in names:
    nb = nbformat.read(os.path.join(HERE, n), as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": HERE}}).execute()
    print(f"ok  {n}")
    passed += 1
print(f"{passed} passed, 0 failed")
