#!/usr/bin/env python3
"""Writes a big generated plan sheet for the ingest benchmark: N rows, 10 columns, the
shape of a real 测评计划预告 (title row, header, merged-free rows, mixed level/date forms).

    python3 bench/make_plan.py 1000000 /tmp/plan_1m.xlsx
    python3 bench/make_plan.py 1000000 /tmp/plan_1m_many.xlsx many   # ~2M distinct strings

`many` gives the shape of an office's real sheet: every system name and a free-text 备注
per row are distinct, so the shared-strings table holds ~2 million strings (as Excel
writes it), not a few thousand.
"""
import datetime as dt
import sys

import openpyxl

n = int(sys.argv[1])
path = sys.argv[2]
many = len(sys.argv) > 3 and sys.argv[3] == "many"
if many:
    # XlsxWriter keeps a shared-strings table, as Excel and WPS write it (openpyxl's
    # write-only mode writes inline strings instead).
    import xlsxwriter

    class _Sheet:
        def __init__(self, ws):
            self.ws, self.r = ws, 0

        def append(self, row):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, dt.date):
                    self.ws.write_datetime(self.r, c, dt.datetime(v.year, v.month, v.day), date_format)
                else:
                    self.ws.write(self.r, c, v)
            self.r += 1

    book = xlsxwriter.Workbook(path)
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    ws = _Sheet(book.add_worksheet("计划"))
else:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("计划")
ws.append(["2019年公共管理信息系统安全测评计划预告（基准测试）"])
ws.append(["序号", "主管部门", "预算单位", "系统名称", "备案编号", "安全保护等级", "测评原因", "计划测评时间", "上次测评时间", "试运行结束时间"] + (["备注"] if many else []))
levels = [3, "三级", "第二级", "S3A3G3", "2级"]
quarters = ["一季度", "2019年第二季度", "2019.9", "四季度"]
for i in range(n):
    d = i % 400
    u = i % 3000
    ws.append([
        i + 1,
        f"市部门{d:03d}",
        f"市部门{d:03d}下属单位{u:04d}",
        f"业务系统{i:07d}",
        f"31010019{i:07d}" if i % 2 else None,
        levels[i % 5],
        "周期测评",
        quarters[i % 4],
        dt.date(2018, 1 + i % 12, 1 + i % 28),
        None,
    ] + ([f"第{i}号系统：{['试运行结束后30日内测评', '计划测评时间待定', '安全保护等级待复核'][i % 3]}（联系人{i % 977}）"] if many else []))
if many:
    book.close()
else:
    wb.save(path)
