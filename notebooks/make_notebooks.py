#!/usr/bin/env python3
"""Writes the analyst notebooks (cells below are their source). Run after editing a cell:
    python3 notebooks/make_notebooks.py
The notebooks are committed without outputs; `run_notebooks.py --check` fails otherwise."""
import os

import nbformat as nbf

HERE = os.path.dirname(os.path.abspath(__file__))

SETUP = '''import os
import subprocess
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import polars as pl

# The warehouse: CEPING_WAREHOUSE, else the sample warehouse the README's main job builds.
WAREHOUSE = Path(os.environ.get("CEPING_WAREHOUSE", Path.cwd().parent / "warehouse")).resolve()
assert (WAREHOUSE / "_ceping_warehouse.json").exists(), f"no ceping warehouse at {WAREHOUSE}: run `cargo run -- run pipelines/briefing.toml` first"

def table(name: str) -> pl.DataFrame:
    """A warehouse table, read straight from its Delta files."""
    return pl.read_delta(str(WAREHOUSE / name))

def current_plan() -> pl.DataFrame:
    """plan_items_current: each year's highest revision."""
    p = table("plan_items")
    return p.filter(pl.col("revision") == pl.col("revision").max().over("year"))
'''

NOTEBOOKS = {
    "plans_over_years.ipynb": [
        ("md", "# 历年测评计划预告\n*Plans over the years: coverage, systems entering and leaving, level mix.*"),
        ("code", SETUP),
        ("md", "## 计划覆盖 · Coverage by year (current revision)\nDistinct departments, budget units and systems, as the `plan_coverage` view counts them."),
        ("code", '''coverage = (
    current_plan()
    .group_by("year")
    .agg(
        pl.col("revision").max(),
        pl.col("department").n_unique().alias("departments"),
        pl.col("unit").n_unique().alias("units"),
        pl.col("system_id").n_unique().alias("systems"),
    )
    .sort("year")
)
coverage'''),
        ("code", '''# The briefing's figures, when the warehouse holds the bundled sample (示例) workbooks.
if table("ingest_log")["file_name"].str.contains("示例").any():
    first = coverage.row(0, named=True)
    assert (first["departments"], first["units"], first["systems"]) == (40, 64, 132), first'''),
        ("md", "## 进出计划的系统 · Systems entering and leaving\nBetween consecutive years (current revisions) and between the revisions of one year."),
        ("code", '''plan = table("plan_items")
years = sorted(plan["year"].unique().to_list())
rows = []
for a, b in zip(years, years[1:]):
    ids_a = set(current_plan().filter(pl.col("year") == a)["system_id"])
    ids_b = set(current_plan().filter(pl.col("year") == b)["system_id"])
    rows.append({"from": a, "to": b, "kept": len(ids_a & ids_b), "entered": len(ids_b - ids_a), "left": len(ids_a - ids_b)})
pl.DataFrame(rows)'''),
        ("code", '''revisions = (
    plan.group_by("year", "revision").agg(pl.col("system_id").n_unique().alias("systems")).sort("year", "revision")
)
changes = []
for year in years:
    revs = sorted(plan.filter(pl.col("year") == year)["revision"].unique().to_list())
    for r1, r2 in zip(revs, revs[1:]):
        s1 = set(plan.filter((pl.col("year") == year) & (pl.col("revision") == r1))["system_id"])
        s2 = set(plan.filter((pl.col("year") == year) & (pl.col("revision") == r2))["system_id"])
        changes.append({"year": year, "from_revision": r1, "to_revision": r2, "added": len(s2 - s1), "dropped": len(s1 - s2)})
pl.DataFrame(changes) if changes else revisions'''),
        ("md", "## 等级构成 · Level mix"),
        ("code", '''levels = (
    current_plan()
    .group_by("year", "level")
    .agg(pl.col("system_id").n_unique().alias("systems"))
    .sort("year", "level")
)
pivot = levels.pivot(on="level", index="year", values="systems").fill_null(0)
fig, ax = plt.subplots(figsize=(6, 3.5))
bottom = [0] * pivot.height
for level in pivot.columns[1:]:
    ax.bar([str(y) for y in pivot["year"]], pivot[level], bottom=bottom, label=f"level {level}")
    bottom = [b + v for b, v in zip(bottom, pivot[level])]
ax.set_title("Systems by protection level"); ax.set_ylabel("systems"); ax.legend()
pivot'''),
    ],
    "quarterly_execution.ipynb": [
        ("md", "# 季度测评实施\n*Quarterly execution from the raw tables, checked against the `execution_by_quarter` view.*"),
        ("code", SETUP),
        ("md", "## 由原始表计算 · From the raw tables\nDepartment and unit come from the results workbook, else from the system's latest plan row; `planned` means in that year's current plan."),
        ("code", '''assessments = table("assessments")
plan = table("plan_items")
latest_plan = (
    plan.sort(["year", "revision"], descending=True)
    .unique(subset="system_id", keep="first")
    .select("system_id", pl.col("department").alias("plan_department"), pl.col("unit").alias("plan_unit"))
)
planned_ids = current_plan().select("year", "system_id").unique().with_columns(pl.lit(True).alias("planned"))
enriched = (
    assessments.join(latest_plan, on="system_id", how="left")
    .with_columns(
        pl.coalesce("department", "plan_department").alias("department"),
        pl.coalesce("unit", "plan_unit").alias("unit"),
    )
    .drop("planned")
    .join(planned_ids, on=["year", "system_id"], how="left")
    .with_columns(pl.col("planned").fill_null(False))
)
grid = (
    pl.concat([current_plan().select("year"), assessments.select("year")]).unique()
    .join(pl.DataFrame({"quarter": [1, 2, 3, 4]}, schema={"quarter": pl.Int8}), how="cross")
)
in_quarter = enriched.group_by("year", "quarter").agg(
    pl.col("department").n_unique().alias("departments"),
    pl.col("unit").n_unique().alias("units"),
    pl.col("system_id").n_unique().alias("systems"),
)
so_far = (
    grid.join(enriched, on="year", how="left", suffix="_a")
    .filter(pl.col("quarter_a") <= pl.col("quarter"))
    .group_by("year", "quarter")
    .agg(
        pl.col("system_id").n_unique().alias("cumulative_systems"),
        pl.col("system_id").filter(pl.col("planned")).n_unique().alias("planned_systems_assessed"),
    )
)
planned = current_plan().group_by("year").agg(pl.col("system_id").n_unique().alias("planned_systems"))
mine = (
    grid.join(in_quarter, on=["year", "quarter"], how="left")
    .join(so_far, on=["year", "quarter"], how="left")
    .join(planned, on="year", how="left")
    .with_columns(pl.col("departments", "units", "systems", "cumulative_systems", "planned_systems_assessed").fill_null(0))
    .with_columns((pl.col("planned_systems_assessed") / pl.col("planned_systems")).round(4).alias("completion_rate"))
    .sort("year", "quarter")
)
mine'''),
        ("md", "## 与视图核对 · Check against the view\nThe same figures from `ceping sql --format parquet`."),
        ("code", '''ceping = os.environ.get("CEPING_BIN", "ceping")
out = Path("/tmp/ceping_execution_by_quarter.parquet")
subprocess.run([ceping, "--warehouse", str(WAREHOUSE), "sql", "--format", "parquet", "--out", str(out),
                "SELECT * FROM execution_by_quarter ORDER BY year, quarter"], check=True)
view = pl.read_parquet(out)
columns = ["year", "quarter", "departments", "units", "systems", "cumulative_systems",
           "planned_systems", "planned_systems_assessed", "completion_rate"]
a = mine.select(columns).with_columns(pl.all().cast(pl.Float64))
b = view.select(columns).with_columns(pl.all().cast(pl.Float64))
assert a.equals(b), f"notebook and view differ:\\n{a}\\n{b}"
print("execution_by_quarter matches:", a.height, "quarters")'''),
        ("code", '''fig, ax = plt.subplots(figsize=(8, 3.5))
labels = [f"{y} Q{q}" for y, q in zip(mine["year"], mine["quarter"])]
ax.bar(labels, mine["systems"], label="systems assessed in quarter")
ax.plot(labels, mine["cumulative_systems"], marker="o", color="C1", label="cumulative")
ax.plot(labels, mine["planned_systems"], linestyle="--", color="C2", label="planned")
ax.legend(); ax.set_title("Execution by quarter"); plt.xticks(rotation=45)'''),
    ],
    "rectification_and_spending.ipynb": [
        ("md", "# 整改与经费\n*Open findings by age and risk; spending per system assessed.*"),
        ("code", SETUP),
        ("md", "## 未整改问题账龄 · Open findings by age and risk\nAs of the end of the last assessed year: a finding is open when it has no `fixed_on` on or before that day."),
        ("code", '''import datetime as dt
findings = table("findings")
assessments = table("assessments").select("assessment_id", "assessed_on", "department", "unit")
as_of = dt.date(assessments["assessed_on"].max().year, 12, 31)
open_findings = (
    findings.join(assessments, on="assessment_id", how="inner")
    .filter(pl.col("fixed_on").is_null() | (pl.col("fixed_on") > as_of))
    .with_columns(((pl.lit(as_of) - pl.col("assessed_on")).dt.total_days()).alias("age_days"))
    .with_columns(
        pl.when(pl.col("age_days") <= 90).then(pl.lit("0-90"))
        .when(pl.col("age_days") <= 180).then(pl.lit("91-180"))
        .when(pl.col("age_days") <= 365).then(pl.lit("181-365"))
        .otherwise(pl.lit(">365")).alias("age")
    )
)
by_age = open_findings.group_by("risk", "age").len().pivot(on="age", index="risk", values="len").fill_null(0).sort("risk")
print("as of", as_of)
by_age'''),
        ("code", '''fig, ax = plt.subplots(figsize=(6, 3.5))
ages = [c for c in ["0-90", "91-180", "181-365", ">365"] if c in by_age.columns]
width = 0.8 / max(len(ages), 1)
for i, age in enumerate(ages):
    ax.bar([j + i * width for j in range(by_age.height)], by_age[age], width=width, label=f"{age} days")
ax.set_xticks([j + 0.4 - width / 2 for j in range(by_age.height)], by_age["risk"].to_list())
ax.set_title(f"Open findings by age as of {as_of}"); ax.set_ylabel("findings"); ax.legend()'''),
        ("md", "## 经费 · Spending per system assessed\nBudget spent and assessment fees per department and year; fee per assessed system."),
        ("code", '''budgets = table("budgets")
assessed = table("assessments")
spend = budgets.group_by("year", "department").agg(pl.col("requested").sum(), pl.col("approved").sum(), pl.col("spent").sum())
fees = assessed.group_by("year", "department").agg(
    pl.col("system_id").n_unique().alias("systems_assessed"), pl.col("fee").sum().alias("assessment_fees")
)
per_system = (
    spend.join(fees, on=["year", "department"], how="full", coalesce=True)
    .with_columns((pl.col("assessment_fees").cast(pl.Float64) / pl.col("systems_assessed")).round(2).alias("fee_per_system"))
    .sort("year", "department")
)
# Money stays exact: Decimal(18, 2) columns from the warehouse.
assert budgets.schema["spent"] == pl.Decimal(18, 2), budgets.schema["spent"]
per_system.head(10)'''),
        ("code", '''totals = per_system.group_by("year").agg(pl.col("requested", "approved", "spent").sum().cast(pl.Float64)).sort("year")
fig, ax = plt.subplots(figsize=(6, 3.5))
for i, col in enumerate(["requested", "approved", "spent"]):
    ax.bar([y + (i - 1) * 0.25 for y in totals["year"]], totals[col], width=0.25, label=col)
ax.set_xticks(totals["year"].to_list()); ax.set_title("Budget by year (yuan)"); ax.legend()
totals'''),
    ],
}


def main():
    for name, cells in NOTEBOOKS.items():
        nb = nbf.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src) for kind, src in cells]
        for i, c in enumerate(nb.cells):
            c["id"] = f"cell-{i}"
        nbf.write(nb, os.path.join(HERE, name))
    print("notebooks written")


if __name__ == "__main__":
    main()
