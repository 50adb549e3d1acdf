#!/usr/bin/env python3
"""Writes a big generated findings workbook (整改情况) for the keyed-ingest memory
benchmark: N rows, the shape of data/…整改情况（示例）.xlsx (title row, header, one row
per finding), 10 findings per assessment report.

    python3 bench/make_findings.py 1000000 /tmp/findings_1m.xlsx
    python3 bench/make_findings.py 1000000 /tmp/findings_1m_v2.xlsx fixed   # every finding fixed: a MERGE that updates every row
"""
import sys

import openpyxl

n = int(sys.argv[1])
path = sys.argv[2]
wb = openpyxl.Workbook(write_only=True)
ws = wb.create_sheet("整改")
ws.append(["2019年测评发现问题整改情况（基准测试）"])
ws.append(["报告编号", "序号", "风险等级", "安全类别", "问题描述", "整改方式", "整改期限", "整改状态", "完成日期"])
risks = ["高", "中", "低"]
cats = ["安全物理环境", "安全通信网络", "安全区域边界", "安全计算环境", "安全管理中心"]
all_fixed = len(sys.argv) > 3 and sys.argv[3] == "fixed"
for i in range(n):
    fixed = all_fixed or i % 3 == 0
    ws.append([
        f"R2019-{i // 10:07d}",
        i % 10 + 1,
        risks[i % 3],
        cats[i % 5],
        f"问题描述{i:07d}：口令复杂度不足，未启用登录失败处理",
        "系统改造" if i % 2 else "即知即改",
        "2019年12月31日",
        "已整改" if fixed else "未整改",
        "2019-10-15" if fixed else None,
    ])
wb.save(path)
