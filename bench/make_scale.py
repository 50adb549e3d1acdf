#!/usr/bin/env python3
"""Writes a deterministic warehouse-scale data set for the view benchmark: plan, results,
findings and budget workbooks for 2019 and 2020, in the shapes of data/ (title row,
header, one row per system / assessment / finding).

    python3 bench/make_scale.py S|M|L OUTDIR [few|many]

Sizes (plan rows over both years): S 1,000, M 100,000, L 1,000,000. Each year plans half
of them; 0.6 × N distinct systems in all (the 2020 plan repeats 2019's level-3 systems
and adds new ones). About 85 % of a year's planned systems are assessed in it, 5 % of
those twice, plus 2 % unplanned assessments; ~1.2 findings per assessment, about two
thirds fixed, on dates spread over the following quarters.

Shapes: `few` — 400 departments and 3,000 units whatever the size (names repeat,
small dictionaries); `many` — N/100 departments and N/3 units (every unit holds a few
systems), so distinct counts and string keys are large.

Needs openpyxl. The same arguments always write the same files (seeded generator).
"""
import datetime as dt
import os
import random
import sys

import openpyxl

SIZES = {"S": 1_000, "M": 100_000, "L": 1_000_000}
size, out = sys.argv[1], sys.argv[2]
shape = sys.argv[3] if len(sys.argv) > 3 else "few"
n = SIZES[size]
os.makedirs(out, exist_ok=True)
rng = random.Random(f"{size}-{shape}")
departments = 400 if shape == "few" else max(n // 100, 4)
units = 3000 if shape == "few" else max(n // 3, 8)
systems = int(n * 0.6)
QUARTER_TEXT = ["一季度", "第二季度", "三季度", "第四季度"]


def dept_of(s):
    return f"市部门{(s % units) % departments:05d}"


def unit_of(s):
    return f"{dept_of(s)}下属单位{s % units:06d}"


def level_of(s):
    return 2 if s % 4 == 0 else 3


def book(title_sheet, title, header):
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(title_sheet)
    ws.append([title])
    ws.append(header)
    return wb, ws


def date_in(year, quarter):
    start = dt.date(year, quarter * 3 - 2, 1)
    return start + dt.timedelta(days=rng.randrange(0, 88))


def plan(year, ids):
    wb, ws = book("计划", f"{year}年公共管理信息系统安全测评计划预告（基准）",
                  ["序号", "主管部门", "预算单位", "系统名称", "备案编号", "安全保护等级", "测评原因", "计划测评时间", "上次测评时间"])
    quarters = {}
    for k, s in enumerate(ids):
        q = 1 + (s * 7 + year) % 4
        quarters[s] = q
        ws.append([k + 1, dept_of(s), unit_of(s), f"业务系统{s:07d}", f"3101{s:09d}", level_of(s),
                   "周期测评" if s % 10 else "新建系统", QUARTER_TEXT[q - 1],
                   dt.date(year - 1 - s % 2, 1 + s % 12, 1 + s % 28)])
    wb.save(os.path.join(out, f"{year}年公共管理信息系统安全测评计划预告（基准{size}）.xlsx"))
    return quarters


def results_and_findings(year, quarters, unplanned):
    wb, ws = book("结果", f"{year}年信息系统安全测评结果汇总（基准）",
                  ["报告编号", "主管部门", "被测单位", "系统名称", "备案编号", "等级", "出具报告日期", "测评结论", "高风险", "中风险", "低风险", "测评费用（元）"])
    fb, fs = book("整改", f"{year}年测评发现问题整改情况（基准）",
                  ["报告编号", "序号", "风险等级", "安全类别", "问题描述", "整改方式", "整改期限", "整改状态", "完成日期"])
    report = 0
    conclusions = ["优", "良", "中", "差"]
    risks = ["高", "中", "低"]
    cats = ["安全物理环境", "安全通信网络", "安全区域边界", "安全计算环境", "安全管理中心"]
    assessed = [(s, q) for s, q in quarters.items() if rng.random() < 0.85]
    assessed += [(s, q + 1) for s, q in assessed if q < 4 and rng.random() < 0.05]
    assessed += [(s, rng.randrange(1, 5)) for s in unplanned]
    for s, q in assessed:
        report += 1
        rid = f"R{year}-{report:07d}"
        on = date_in(year, q)
        k = rng.choice((0, 1, 1, 1, 2, 2))
        ws.append([rid, dept_of(s), unit_of(s), f"业务系统{s:07d}", f"3101{s:09d}", level_of(s), on,
                   conclusions[s % 4], k > 1 and 1 or 0, k, 1, 1000 * (8 + s % 9)])
        for j in range(k):
            due = on + dt.timedelta(days=90)
            fixed = on + dt.timedelta(days=rng.randrange(5, 300)) if rng.random() < 0.66 else None
            fs.append([rid, j + 1, risks[(s + j) % 3], cats[(s + j) % 5], f"问题{report}-{j + 1}：口令复杂度不足",
                       "即知即改" if j else "系统改造", due, "已整改" if fixed else "未整改", fixed])
    wb.save(os.path.join(out, f"{year}年信息系统安全测评结果汇总（基准{size}）.xlsx"))
    fb.save(os.path.join(out, f"{year}年测评发现问题整改情况（基准{size}）.xlsx"))


def budgets(years):
    wb, ws = book("经费", "网络安全经费预算执行情况（基准）", ["年度", "主管部门", "预算单位", "类别", "申报金额（元）", "批复金额（元）", "实际支出（元）"])
    cats = ["测评", "整改", "安全服务"]
    for year in years:
        for u in range(min(units, n // 3, 100_000)):  # ≤ 600,000 rows: one sheet holds them
            for c in cats[: 1 + u % 3]:
                req = 10000 + (u * 37 % 50) * 1000
                ws.append([year, dept_of(u), unit_of(u), c, req, req - 1000, req - 2000 - u % 7 * 100])
    wb.save(os.path.join(out, f"2019-2020年网络安全经费预算执行情况（基准{size}）.xlsx"))


half = n // 2
plan_2019 = list(range(0, half))
# 2020 repeats 2019's level-3 systems and adds new ones up to 0.6 N distinct systems.
repeat = [s for s in plan_2019 if level_of(s) >= 3][: half - (systems - half)]
plan_2020 = repeat + list(range(half, half + (half - len(repeat))))
for year, ids in ((2019, plan_2019), (2020, plan_2020)):
    q = plan(year, ids)
    extra = range(systems + year * 10, systems + year * 10 + max(n // 100, 1))
    results_and_findings(year, q, extra)
budgets((2019, 2020))
print(f"{size}/{shape}: {n} plan rows, {systems} systems, {departments} departments, {units} units -> {out}")
