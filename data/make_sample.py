#!/usr/bin/env python3
"""Writes ceping's bundled sample (示例) workbooks into data/.

Invented departments, units and systems, made the way offices make them (titles, merged
cells, varying headers, levels and dates in many written forms, 万元 and 元, notes and
totals, a few bad rows), in .xlsx, .xls and .ods. Ingested with
`ceping run pipelines/briefing.toml` they reproduce the source briefing exactly:

  2018 preview: 40 departments, 64 budget units, 132 systems
  2018 Q1 executed: 10 / 13 / 18;  rectification complete as of 2018-03-31: 3 / 3 / 6
  2019 preview (current revision): 37 departments, 57 budget units, 124 systems

and a system register (系统台账) of the 2019 systems: some critical information
infrastructure (关基, two of level 2), two classified systems, one major change after its
2019 assessment, a spread of domestic-cryptography states and 密评 filings (one filed on
day 30, one on day 31, one not filed), yes/no written every way offices write it; the
office's register of letters (发函登记: 便函 sent in April 2019, some answered, some not)
and the findings of a 2019 security inspection (安全检查, two deadlines extended).

Regenerate (the outputs are committed; nothing at run time needs Python):

    pip install openpyxl xlwt odfpy
    python3 data/make_sample.py
"""
import datetime as dt
import os
import random
import zipfile

import openpyxl

HERE = os.path.dirname(os.path.abspath(__file__))
D = dt.date
rng = random.Random(2018)

DEPARTMENTS = [
    "市教委", "市卫健委", "市民政局", "市公安局", "市交通委", "市水务局", "市财政局", "市人社局", "市住建委", "市规划资源局",
    "市生态环境局", "市农业农村委", "市商务委", "市文旅局", "市体育局", "市统计局", "市审计局", "市市场监管局", "市应急局", "市司法局",
    "市科委", "市经信委", "市发改委", "市国资委", "市医保局", "市退役军人局", "市绿化市容局", "市房管局", "市民防办", "市档案局",
    "市机管局", "市信访办", "市金融局", "市知识产权局", "市药监局", "市气象局", "市地震局", "市民宗委", "市侨办", "市外办",
]
UNIT_SUFFIXES = ["信息中心", "事务中心"]
SYSTEM_NAMES = ["门户网站", "办公自动化系统", "业务管理系统", "数据共享平台", "网上办事系统", "档案管理系统", "监测预警平台", "财务管理系统"]


class System:
    def __init__(self, dept, unit, name, level, filing=None):
        self.dept, self.unit, self.name, self.level, self.filing = dept, unit, name, level, filing
        self.key = (unit, name)


def build_2018():
    """40 departments; D1–D24 have 2 units, D25–D40 one (64 units); the first 4 units have
    4 systems, the next 56 two, the last 4 one (132 systems)."""
    units = []
    for i, d in enumerate(DEPARTMENTS):
        n = 2 if i < 24 else 1
        for j in range(n):
            units.append((d, d.replace("市", "市" if j == 0 else "市", 1) + UNIT_SUFFIXES[j]))
    systems = []
    for k, (d, u) in enumerate(units):
        n = 4 if k < 4 else (2 if k < 60 else 1)
        for s in range(n):
            level = 3 if (k + s) % 3 else 2
            if k == 0 and s == 0:
                level = 4
            filing = f"310100{18000 + k:05d}-{s + 1:05d}" if (k + s) % 2 == 0 else None
            systems.append(System(d, u, SYSTEM_NAMES[(k + s) % len(SYSTEM_NAMES)] if s < 8 else f"系统{s}", level, filing))
    assert len({s.dept for s in systems}) == 40 and len({s.unit for s in systems}) == 64 and len(systems) == 132
    return units, systems


def build_2019(systems_2018):
    """Current revision: drop 市民宗委, 市侨办, 市外办 and the second unit of the 21st–24th
    departments, add three new systems (37 / 57 / 124). Revision 1 also had 市民宗委 and one
    more system (38 / 58 / 126)."""
    dropped_depts = set(DEPARTMENTS[37:40])
    dropped_units = {DEPARTMENTS[i] + UNIT_SUFFIXES[1] for i in range(20, 24)}
    keep = [s for s in systems_2018 if s.dept not in dropped_depts and s.unit not in dropped_units]
    new = [
        System("市教委", "市教委信息中心", "在线学习平台", 3),
        System("市卫健委", "市卫健委信息中心", "互联网医院平台", 3),
        System("市民政局", "市民政局事务中心", "养老服务系统", 2),
    ]
    rev2 = keep + new
    extra_dept = [s for s in systems_2018 if s.dept == DEPARTMENTS[37]]
    rev1 = rev2 + extra_dept + [System("市公安局", "市公安局信息中心", "临时备案系统", 2)]
    return rev1, rev2, new


def quarter_text(q, year, style):
    return [f"{year}年第{'一二三四'[q - 1]}季度", f"{'一二三四'[q - 1]}季度", f"{year}.{q * 3}", f"{year}年{q * 3 - 2}月", D(year, q * 3 - 1, 15)][style % 5]


def level_text(level, style):
    n = "一二三四五"[level - 1]
    return [level, f"{n}级", f"第{n}级", f"S{level}A{level}G{level}", f"{level}级", chr(0xFF10 + level)][style % 6]


def fix_zip_times(path):
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            info.date_time = (2020, 1, 1, 0, 0, 0)
            if info.filename == "docProps/core.xml":
                data = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"/>'
            z.writestr(info, data)


def save(wb, name):
    path = os.path.join(HERE, name)
    wb.save(path)
    fix_zip_times(path)


def plan_2018_xlsx(systems, planned_q):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2018年计划"
    ws.append(["2018年公共管理信息系统安全测评计划预告（示例数据）"])
    ws.merge_cells("A1:I1")
    ws.append(["填报单位：示例市网信办", None, None, None, None, None, None, "填报日期：2017年12月"])
    ws.append(["序号", "主管部门", "预算单位", "信息系统名称", "备案编号", "安全保护等级", "测评原因", "计划测评时间", "上次测评时间"])
    r = 4
    groups = {}
    for i, s in enumerate(systems):
        name = s.name if i % 7 else s.name.replace("系统", " 系统\n")  # stray spaces and a line break
        last = [D(2017, (i % 12) + 1, (i % 27) + 1), f"2017年{(i % 12) + 1}月{(i % 27) + 1}日", f"2017.{(i % 12) + 1}"][i % 3]
        row = [i + 1, s.dept, s.unit, name, s.filing, level_text(s.level, i), "周期测评", quarter_text(planned_q[s.key], 2018, i), last]
        for c, v in enumerate(row):
            if c in (1, 2):
                g = groups.setdefault(c, [])
                if g and g[-1][0] == v:
                    g[-1][2] = r
                    continue
                g.append([v, r, r])
            cell = ws.cell(r, c + 1, v)
            if isinstance(v, dt.date):
                cell.number_format = 'yyyy"年"m"月"d"日"'
        r += 1
    for c, gs in groups.items():
        for _, a, b in gs:
            if b > a:
                ws.merge_cells(start_row=a, start_column=c + 1, end_row=b, end_column=c + 1)
    # Two bad rows: rejected with their reasons, never counted.
    ws.append([r - 3, "市外办", "市外办信息中心", "签证预约系统", None, "五六级", "周期测评", "二季度", None])
    ws.append([r - 2, "市外办", "市外办信息中心", None, None, 3, "周期测评", "二季度", None])
    ws.append(["合计", None, None, f"{len(systems)}个系统"])
    ws.append([])
    ws.append(["注：1. 安全保护等级以公安机关备案为准；"])
    ws.append(["2. 本表为示例数据，单位与系统名称均为虚构。"])
    save(wb, "2018年公共管理信息系统安全测评计划预告（示例）.xlsx")


def plan_2019_rev1_xls(systems, planned_q):
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("计划预告")
    ws.write_merge(0, 0, 0, 7, "2019年公共管理信息系统安全测评计划预告（示例数据，第1版）")
    header = ["序号", "主管单位", "单位名称", "系统名称", "备案号", "等级", "测评类型", "计划时间"]
    for j, h in enumerate(header):
        ws.write(1, j, h)
    r = 2
    start = {}
    systems = sorted(systems, key=lambda s: DEPARTMENTS.index(s.dept))
    for i, s in enumerate(systems):
        reason = "新建系统" if s.name in ("在线学习平台", "互联网医院平台", "养老服务系统") else "周期测评"
        ws.write(r, 0, i + 1)
        if s.dept not in start:
            start[s.dept] = [r, r]
        else:
            start[s.dept][1] = r
        ws.write(r, 2, s.unit)
        ws.write(r, 3, s.name)
        if s.filing:
            ws.write(r, 4, s.filing)
        ws.write(r, 5, level_text(s.level, i + 1))
        ws.write(r, 6, reason)
        ws.write(r, 7, quarter_text(planned_q.get(s.key, 4), 2019, i % 4))
        r += 1
    for d, (a, b) in start.items():
        if b > a:
            ws.write_merge(a, b, 1, 1, d)
        else:
            ws.write(a, 1, d)
    wb.save(os.path.join(HERE, "2019年公共管理信息系统安全测评计划预告（示例）第1版.xls"))


def plan_2019_rev2_xlsx(systems, planned_q, new):
    """One sheet per department, no department column; a notes sheet."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    by_dept = {}
    for s in systems:
        by_dept.setdefault(s.dept, []).append(s)
    for d, ss in by_dept.items():
        ws = wb.create_sheet(d)
        ws.append([f"2019年安全测评计划预告（示例数据，第2版）—{d}"])
        ws.append(["序号", "预算单位", "系统名称", "备案编号", "定级", "测评原因", "测评季度", "试运行结束时间"])
        for i, s in enumerate(ss):
            is_new = s in new
            trial = D(2019, 3 + i, 10) if is_new else None
            ws.append([i + 1, s.unit, s.name, s.filing, level_text(s.level, i + 2), "新建系统" if is_new else "周期测评", f"{planned_q.get(s.key, 4)}", trial])
            if trial:
                ws.cell(ws.max_row, 8).number_format = "yyyy-mm-dd"
    notes = wb.create_sheet("填表说明")
    notes.append(["说明：每个主管部门一张表；本表为示例数据。"])
    save(wb, "2019年公共管理信息系统安全测评计划预告（示例）第2版.xlsx")


def assessments(year, picks, unplanned=()):
    """picks: [(System, date)] → rows with derived results."""
    rows = []
    for n, (s, day) in enumerate(picks + [(u, d) for u, d in unplanned], start=1):
        high = rng.choice([0, 0, 1, 2])
        med = rng.randint(1, 4)
        low = rng.randint(1, 6)
        fee = 12800 if s.level >= 3 else 8000
        rows.append({
            "id": f"CP{year}-{n:03d}", "system": s, "date": day, "high": high, "med": med, "low": low,
            "fee": fee, "conclusion": rng.choice(["良", "良", "中", "优", "基本符合"]), "score": round(rng.uniform(68, 93), 1),
        })
    return rows


def assessments_2018_xlsx(rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "测评结果"
    ws.append(["2018年信息系统安全测评结果汇总（示例数据）"])
    ws.append(["报告编号", "主管部门", "被测单位", "系统名称", "备案编号", "等级", "出具报告日期", "测评结论", "得分", "风险数量", None, None, "测评费用（元）"])
    ws.append([None] * 9 + ["高", "中", "低", None])
    ws.merge_cells("J2:L2")
    for col in list(range(1, 10)) + [13]:
        ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
    for i, a in enumerate(rows):
        s = a["system"]
        date = a["date"] if i % 2 else a["date"].strftime("%Y/%-m/%-d")
        fee = f"{a['fee']:,.2f}" if i % 3 == 0 else a["fee"]
        ws.append([a["id"], s.dept, s.unit, s.name, s.filing, s.level, date, a["conclusion"], a["score"], a["high"], a["med"], a["low"], fee])
        if isinstance(date, dt.date):
            ws.cell(ws.max_row, 7).number_format = "yyyy-mm-dd"
    ws.append(["CP2018-999", "市教委", "市教委信息中心", "门户网站", None, 3, "2018-13-01", "良", 80, 0, 1, 1, 12800])
    ws.append(["合计", None, None, None, None, None, None, None, None, sum(a["high"] for a in rows), sum(a["med"] for a in rows), sum(a["low"] for a in rows), None])
    save(wb, "2018年信息系统安全测评结果汇总（示例）.xlsx")


def assessments_2019_ods(rows):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableRow, TableCell
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    t = Table(name="2019年测评结果")

    def cell(v):
        if v is None:
            return TableCell()
        if isinstance(v, dt.date):
            c = TableCell(valuetype="date", datevalue=v.isoformat())
            c.addElement(P(text=v.isoformat()))
            return c
        if isinstance(v, (int, float)):
            c = TableCell(valuetype="float", value=v)
            c.addElement(P(text=str(v)))
            return c
        c = TableCell(valuetype="string")
        c.addElement(P(text=str(v)))
        return c

    def row(vals):
        tr = TableRow()
        for v in vals:
            tr.addElement(cell(v))
        t.addElement(tr)

    row(["2019年信息系统安全测评结果汇总（示例数据）"])
    row(["报告编号", "主管部门", "预算单位", "系统名称", "备案编号", "安全保护等级", "测评日期", "测评结论", "得分", "高风险", "中风险", "低风险", "测评费用"])
    for a in rows:
        s = a["system"]
        row([a["id"], s.dept, s.unit, s.name, s.filing, s.level, a["date"], a["conclusion"], a["score"], a["high"], a["med"], a["low"], a["fee"]])
    doc.spreadsheet.addElement(t)
    doc.save(os.path.join(HERE, "2019年信息系统安全测评结果汇总（示例）.ods"))


def findings_rows(assess, complete_ids, q1_2018_ids):
    out = []
    for a in assess:
        n = max(1, a["high"] + min(a["med"], 2))
        for k in range(1, n + 1):
            risk = "高风险" if k <= a["high"] else "中风险"
            immediate = k % 2 == 1
            day = a["date"]
            due = day + dt.timedelta(days=30) if immediate else (D(day.year, 12, 31) if day.month <= 6 else D(day.year + 1, 12, 31))
            if a["id"] in complete_ids:
                fixed = min(day + dt.timedelta(days=10 + k), D(2018, 3, 31))
            elif a["id"] in q1_2018_ids and k == 1:
                fixed = D(2018, 4, 20) if rng.random() < 0.6 else None  # not done by 2018-03-31
            else:
                roll = rng.random()
                fixed = (day + dt.timedelta(days=rng.randint(5, 25))) if immediate and roll < 0.9 else (
                    (due - dt.timedelta(days=rng.randint(0, 60))) if roll < 0.7 else None)
            status = "已整改" if fixed else rng.choice(["整改中", "未整改"])
            cost = None if immediate else round(rng.uniform(0.5, 12), 2)
            out.append([a["id"], k, risk, rng.choice(["安全计算环境", "安全区域边界", "安全通信网络", "安全管理制度", "安全运维管理"]),
                        rng.choice(["弱口令", "未启用登录失败处理", "未部署入侵防范", "日志留存不足六个月", "未使用国密算法", "缺少安全管理制度"]),
                        "即知即改" if immediate else "系统改造", due, status, fixed, cost])
    return out


def findings_xlsx(rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "整改情况"
    ws.append(["2018—2019年测评发现问题整改情况（示例数据）"])
    ws.append(["报告编号", "序号", "风险等级", "安全类别", "问题描述", "整改方式", "整改期限", "整改状态", "完成日期", "整改费用（万元）"])
    for r in rows:
        ws.append(r)
        for c in (7, 9):
            if isinstance(r[c - 1], dt.date):
                ws.cell(ws.max_row, c).number_format = "yyyy-mm-dd"
    save(wb, "2018-2019年测评发现问题整改情况（示例）.xlsx")


def budgets_xlsx(units_by_year, fees):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "经费"
    ws.append(["2018—2019年网络安全经费预算执行情况（示例数据）"])
    ws.append(["预算年度", "主管部门", "预算单位", "类别", "申报金额（万元）", "批复金额（万元）", "实际支出（元）"])
    for year, units in units_by_year.items():
        for d, u in units:
            fee = fees.get((year, u), 0)
            req = round(fee / 10000 + rng.choice([0, 0.5, 1]), 2)
            ws.append([year, d, u, "测评", req, req, f"{fee:,.2f}"])
            if rng.random() < 0.5:
                r = round(rng.uniform(5, 30), 2)
                ws.append([year, d, u, "整改", r, round(r * 0.8, 2), round(r * 0.8 * 10000 * rng.uniform(0.6, 1.0), 2)])
            if rng.random() < 0.3:
                sv = round(rng.uniform(2, 8), 2)
                ws.append([year, d, u, "安全服务", f"{sv}万", sv, None])
    ws.append([2019, "市教委", "市教委信息中心", "测评", "待定", None, None])
    save(wb, "2018-2019年网络安全经费预算执行情况（示例）.xlsx")


def register_xlsx(systems, picks19):
    """The system register (系统台账) of the 2019 systems, as a unit sends it in: merged
    department cells, yes/no in every form, dates as dates and as text, a notes block, one
    row whose 是否涉密 says 待定 (rejected)."""
    r2 = random.Random(2019)
    assessed = {a["system"].key: a["date"] for a in picks19}
    order = sorted(systems, key=lambda s: (DEPARTMENTS.index(s.dept), s.unit, s.name))
    level2 = [i for i, s in enumerate(order) if s.level == 2 and s.key in assessed and assessed[s.key] >= D(2019, 7, 1)]
    cii = {0, 9, 21, 37, 58, 77} | set(level2[:2])
    level3 = [i for i, s in enumerate(order) if s.level >= 3 and i not in cii]
    classified = {level3[10], level3[40]}
    early = [i for i, s in enumerate(order) if s.key in assessed and D(2019, 2, 1) <= assessed[s.key] <= D(2019, 3, 31)
             and i not in cii and i not in classified]
    changed = early[0]
    new_live = {"在线学习平台": (D(2019, 3, 15), "已采用"), "互联网医院平台": (D(2019, 4, 20), "未采用"), "养老服务系统": (D(2019, 5, 10), "改造中")}
    yes_forms, no_forms = ["是", "√", "Y", "1", "是"], ["否", "×", "N", "0", "否", None]
    crypto_forms = [("已采用", 4), ("已应用", 1), ("改造中", 2), ("正在改造", 1), ("未采用", 2), ("未应用", 1), (None, 2)]
    crypto_pool = [c for c, n in crypto_forms for _ in range(n)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "系统台账"
    ws.append(["示例市公共管理信息系统台账（示例数据）"])
    ws.merge_cells("A1:P1")
    ws.append(["填报单位：示例市网信办", None, None, None, None, None, None, None, None, None, None, None, None, "更新日期：2019年6月"])
    ws.append(["序号", "主管部门", "运营使用单位", "系统名称", "备案编号", "安全保护等级", "是否关键信息基础设施", "关基行业",
               "是否涉密", "上线时间", "最近一次重大变更", "国产密码应用情况", "是否支持SM2", "密评日期", "密评结论", "密评备案日期"])
    first, start, current = 4, {}, None
    crypto_assessed = [i for i in range(0, len(order), 9)]
    for i, s in enumerate(order):
        r = first + i
        if s.dept != current:
            start[s.dept] = [r, r]
            current = s.dept
        else:
            start[s.dept][1] = r
        is_cii = i in cii
        live, crypto = new_live.get(s.name, (D(2008 + i % 9, 1 + i % 12, 1 + i % 28), crypto_pool[i % len(crypto_pool)]))
        live_cell = live if i % 3 else f"{live.year}年{live.month}月{live.day}日"
        change = assessed[order[changed].key] + dt.timedelta(days=100) if i == changed else None
        sm2 = None if crypto is None else (yes_forms[i % 5] if crypto in ("已采用", "已应用") else no_forms[i % 5])
        exam, result, filed = None, None, None
        if i in crypto_assessed:
            n = crypto_assessed.index(i)
            exam = D(2019 if n % 3 else 2018, 2 + n % 9, 5 + n % 20)
            result = ["符合", "基本符合", "符合", "不符合"][n % 4]
            if result != "不符合":
                filed = [exam + dt.timedelta(days=12), exam + dt.timedelta(days=30), exam + dt.timedelta(days=31), None][n % 4]
        row = [i + 1, s.dept, s.unit, s.name, s.filing, level_text(s.level, i + 3),
               yes_forms[i % 5] if is_cii else no_forms[i % 6], ["政务", "交通", "能源", "通信", "金融"][i % 5] if is_cii else None,
               "是" if i in classified else no_forms[(i + 1) % 6], live_cell, change, crypto, sm2, exam, result, filed]
        for c, v in enumerate(row):
            if c == 1:
                continue
            cell = ws.cell(r, c + 1, v)
            if isinstance(v, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for d, (a, b) in start.items():
        ws.cell(a, 2, d)
        if b > a:
            ws.merge_cells(start_row=a, start_column=2, end_row=b, end_column=2)
    bad = order[5]
    ws.append([len(order) + 1, bad.dept, bad.unit, "视频会议系统", None, "三级", "否", None, "待定", D(2017, 6, 1), None, "已采用", "是", None, None, None])
    ws.append([])
    ws.append(["注：1. 是否关键信息基础设施以保护工作部门认定为准；2. 本表为示例数据，单位与系统名称均为虚构。"])
    save(wb, "2019年公共管理信息系统台账（示例）.xlsx")


def letters_register_xlsx(rev2, pq19, a19):
    """The office's register of letters (发函登记): 便函 sent on 2019-04-15 to the units with
    2019 Q1 systems not yet assessed, reply within 15 days; some answered on time, some late,
    the rest not at all (so 督促函 fall due for them in July)."""
    assessed = {a["system"].key: a["date"] for a in a19}
    behind = {}
    for s in rev2:
        if pq19.get(s.key, 4) == 1 and not (s.key in assessed and assessed[s.key] <= D(2019, 4, 15)):
            behind.setdefault((s.dept, s.unit), []).append(s)
    units = sorted(behind, key=lambda u: (DEPARTMENTS.index(u[0]), u[1]))[:12]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "发函登记"
    ws.append(["2019年测评工作函件发函登记（示例数据）"])
    ws.append(["函号", "函件类型", "年度", "主管部门", "预算单位", "滞后系统数", "发函日期", "复函期限", "复函日期", "备注"])
    for i, (dept, unit) in enumerate(units):
        issued, due = D(2019, 4, 15), D(2019, 4, 30)
        replied = [D(2019, 4, 25), D(2019, 4, 28), D(2019, 5, 20), None][i % 4]
        ws.append([f"测便〔2019〕{i + 1}号", "测评工作便函", 2019, dept, unit, len(behind[(dept, unit)]), issued, due, replied,
                   "已电话催办" if replied is None else None])
        for c in (7, 8, 9):
            if isinstance(ws.cell(ws.max_row, c).value, dt.date):
                ws.cell(ws.max_row, c).number_format = "yyyy-mm-dd"
    # A number registered and never sent: taken, not reused, not counted as sent.
    ws.append([f"测便〔2019〕{len(units) + 1}号", "便函", 2019, units[0][0], units[0][1], 1, None, None, None, "作废"])
    save(wb, "2019年测评工作函件登记（示例）.xlsx")


def inspection_findings_xlsx(rev2):
    """Problems found by the 2019 security inspection (安全检查): no report numbers, the
    system by its filing number or unit and name, the day found; two deadlines extended
    (延期); one row that names no system (rejected)."""
    r3 = random.Random(2020)
    picks = [s for s in rev2 if s.level >= 3][5:15]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "安全检查"
    ws.append(["2019年网络安全检查发现问题整改情况（示例数据）"])
    ws.append(["序号", "主管部门", "被检查单位", "系统名称", "备案编号", "检查日期", "风险等级", "问题描述", "整改期限", "延期至", "延期原因", "整改状态", "完成日期"])
    for i, s in enumerate(picks):
        found = D(2019, 5, 10 + i)
        due = found + dt.timedelta(days=60)
        extended = due + dt.timedelta(days=90) if i in (2, 7) else None
        fixed = due - dt.timedelta(days=r3.randint(1, 30)) if i % 3 == 0 else None
        status = "已整改" if fixed else "整改中"
        ws.append([i + 1, s.dept, s.unit, s.name, s.filing, found, ["高风险", "中风险"][i % 2],
                   ["弱口令", "未及时更新补丁", "存在高危端口", "日志未留存"][i % 4], due, extended,
                   "需采购设备" if extended else None, status, fixed])
        for c in (6, 9, 10, 13):
            if isinstance(ws.cell(ws.max_row, c).value, dt.date):
                ws.cell(ws.max_row, c).number_format = "yyyy-mm-dd"
    ws.append([len(picks) + 1, "市教委", None, None, None, D(2019, 5, 30), "中风险", "无线网络未加密", D(2019, 7, 30), None, None, "整改中", None])
    save(wb, "2019年网络安全检查发现问题（示例）.xlsx")


def main():
    units, sys18 = build_2018()
    planned_q = {s.key: (i % 4) + 1 for i, s in enumerate(sys18)}
    # 2018 Q1: 10 departments, 13 units, 18 systems (see the module doc).
    by_unit = {}
    for s in sys18:
        by_unit.setdefault(s.unit, []).append(s)
    unit_names = [u for _, u in units]
    take = {0: 3, 1: 2, 2: 2, 3: 1, 4: 1, 5: 1, 6: 2, 8: 1, 10: 1, 12: 1, 14: 1, 16: 1, 18: 1}
    q1 = [s for k, n in take.items() for s in by_unit[unit_names[k]][:n]]
    assert len(q1) == 18 and len({s.unit for s in q1}) == 13 and len({s.dept for s in q1}) == 10
    complete = set()
    q1_picks = []
    for i, s in enumerate(q1):
        q1_picks.append((s, D(2018, 1 + i % 2, 8 + i)))
    rest = [s for s in sys18 if s not in q1]
    rng.shuffle(rest)
    q2, q3, q4, never = rest[:32], rest[32:67], rest[67:97], rest[97:]
    picks = q1_picks + [(s, D(2018, 4 + i % 3, 3 + i % 25)) for i, s in enumerate(q2)] + [
        (s, D(2018, 7 + i % 3, 2 + i % 26)) for i, s in enumerate(q3)] + [(s, D(2018, 10 + i % 3, 5 + i % 20)) for i, s in enumerate(q4)]
    unplanned = [(System("市教委", "市教委信息中心", "临时招生报名系统", 2), D(2018, 8, 20)), (System("市公安局", "市公安局信息中心", "活动票务系统", 2), D(2018, 9, 12)),
                 (System("市体育局", "市体育局信息中心", "赛事报名系统", 2), D(2018, 9, 21))]
    a18 = assessments(2018, picks, unplanned)
    # Units U1, U3 and U7 (3 departments): two Q1 systems each with every finding fixed by 2018-03-31.
    done_units = {unit_names[0], unit_names[2], unit_names[6]}
    for a in a18[:18]:
        if a["system"].unit in done_units and sum(1 for c in complete if c[1] == a["system"].unit) < 2:
            complete.add((a["id"], a["system"].unit))
    complete_ids = {c[0] for c in complete}
    assert len(complete_ids) == 6

    rev1, rev2, new = build_2019(sys18)
    pq19 = {s.key: ((i * 3) % 4) + 1 for i, s in enumerate(rev1)}
    plan_2018_xlsx(sys18, planned_q)
    plan_2019_rev1_xls(rev1, pq19)
    plan_2019_rev2_xlsx(rev2, pq19, new)

    rest19 = list(rev2)
    rng.shuffle(rest19)
    sel = rest19[:112]
    picks19 = [(s, D(2019, 1 + (i * 12 // 112), 1 + (i % 27))) for i, s in enumerate(sel)]
    dropped = [s for s in rev1 if s not in rev2][:1]
    a19 = assessments(2019, picks19, [(s, D(2019, 5, 6)) for s in dropped])
    assessments_2018_xlsx(a18)
    assessments_2019_ods(a19)
    q1_ids = {a["id"] for a in a18[:18]}
    findings_xlsx(findings_rows(a18, complete_ids, q1_ids) + findings_rows(a19, set(), set()))
    fees = {}
    for year, rows in ((2018, a18), (2019, a19)):
        for a in rows:
            fees[(year, a["system"].unit)] = fees.get((year, a["system"].unit), 0) + a["fee"]
    u18 = sorted({(s.dept, s.unit) for s in sys18})
    u19 = sorted({(s.dept, s.unit) for s in rev2})
    budgets_xlsx({2018: u18, 2019: u19}, fees)
    register_xlsx(rev2, a19)
    letters_register_xlsx(rev2, pq19, a19)
    inspection_findings_xlsx(rev2)
    print("sample written to", HERE)


if __name__ == "__main__":
    main()
