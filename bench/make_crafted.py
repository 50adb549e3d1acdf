#!/usr/bin/env python3
"""Crafted .xlsx files: small on disk, huge inflated, each aimed at one way a reader can be
made to hold too much. Standard library only (zipfile, zlib), streamed, so a 1.5 GB part
costs no memory to write.

    python3 bench/make_crafted.py CLASS SIZE OUT.xlsx

SIZE is bytes (suffix K, M or G) of the crafted part, or a count for `merges` and `rows`.
Each file is a 2020 plan (header + two good rows) with the crafted part added:

  cell-spaces   one inline cell of SIZE spaces (xml:space="preserve"): a blank cell
  cell-text     one inline cell of "x" then SIZE spaces: a cell past cell_chars
  cell-wide     one inline cell of SIZE bytes of ideographic spaces written as entities
                (&#12288;): blank, but not to a byte scan, and 3 bytes a character
  cell-runs     one inline cell of SIZE bytes of rich-text runs each holding a space:
                blank, in millions of small pieces
  between       SIZE bytes of whitespace between two rows
  comment       a comment of SIZE bytes between two rows
  merges        SIZE <mergeCell> elements
  rows          SIZE valid plan rows
  sst-unused    a shared-strings table holding one string of SIZE bytes no cell uses
  sst-many      a shared-strings table of SIZE bytes of distinct strings no cell uses
  sst-lying     sst-many with the zip's directory declaring the part 1 KB (so only a
                reader that counts what it inflates stops it)

Used by bench/crafted.sh (the table in docs/PERFORMANCE.md, at GB sizes) and by
tests/it/hostile.rs (the same classes at sizes a test can afford, memory asserted).
"""
import sys
import zipfile

CLASS, SIZE, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
n = int(SIZE[:-1]) * {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[SIZE[-1]] if SIZE[-1] in "KMG" else int(SIZE)

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADER = ["主管部门", "预算单位", "系统名称", "安全保护等级", "计划测评时间"]
BLOCK = 1 << 20


def inline_row(r, values):
    cells = "".join(
        f'<c r="{chr(65 + i)}{r}" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(values)
    )
    return f'<row r="{r}">{cells}</row>'


def good(r):
    return inline_row(r, ["市教委", "考试院", f"系统{r}", "第三级", "二季度"])


def repeat(z, text, count):
    """Writes whole copies of `text` (ASCII) making `count` bytes or just under, a block
    at a time."""
    piece = text.encode()
    per = max(1, BLOCK // len(piece))
    block = piece * per
    left = count // len(piece)
    while left > 0:
        k = min(left, per)
        z.write(block[: k * len(piece)])
        left -= k


def put(zf, name, text):
    zf.writestr(name, text)


with zipfile.ZipFile(OUT, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
    put(zf, "[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/></Types>')
    put(zf, "_rels/.rels", f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    put(zf, "xl/workbook.xml", f'<workbook {NS}><sheets><sheet name="计划" sheetId="1" r:id="rId1"/></sheets></workbook>')
    put(zf, "xl/_rels/workbook.xml.rels", f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    if CLASS.startswith("sst"):
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=CLASS != "sst-lying") as z:
            z.write(f"<sst {NS}>".encode())
            if CLASS == "sst-unused":
                z.write(b"<si><t>")
                repeat(z, "a", n)
                z.write(b"</t></si>")
            else:
                i, written = 0, 0
                while written < n:
                    chunk = "".join(f"<si><t>未使用的字符串{j}</t></si>" for j in range(i, i + 10000)).encode()
                    z.write(chunk)
                    written += len(chunk)
                    i += 10000
            z.write(b"</sst>")
    with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as z:
        z.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>'.encode())
        z.write(inline_row(1, HEADER).encode())
        z.write(good(2).encode())
        if CLASS == "cell-spaces" or CLASS == "cell-text":
            lead = "x" if CLASS == "cell-text" else ""
            z.write(f'<row r="3"><c r="A3" t="inlineStr"><is><t>市教委</t></is></c><c r="B3" t="inlineStr"><is><t xml:space="preserve">{lead}'.encode())
            repeat(z, " ", n)
            z.write('</t></is></c><c r="C3" t="inlineStr"><is><t>系统3</t></is></c><c r="D3" t="inlineStr"><is><t>第三级</t></is></c></row>'.encode())
        elif CLASS in ("cell-wide", "cell-runs"):
            piece = "&#12288;" if CLASS == "cell-wide" else '<r><t xml:space="preserve"> </t></r>'
            inner = ("<t>", "</t>") if CLASS == "cell-wide" else ("", "")
            z.write(f'<row r="3"><c r="A3" t="inlineStr"><is><t>市教委</t></is></c><c r="B3" t="inlineStr"><is>{inner[0]}'.encode())
            repeat(z, piece, n)
            z.write(f'{inner[1]}</is></c><c r="C3" t="inlineStr"><is><t>系统3</t></is></c><c r="D3" t="inlineStr"><is><t>第三级</t></is></c></row>'.encode())
        elif CLASS == "between":
            repeat(z, " \n", n)
        elif CLASS == "comment":
            z.write(b"<!--")
            repeat(z, "c", n)
            z.write(b"-->")
        elif CLASS == "rows":
            for start in range(3, n + 3, 10000):
                z.write("".join(good(r) for r in range(start, min(start + 10000, n + 3))).encode())
        z.write(good(4 if CLASS != "rows" else n + 3).encode())
        z.write(b"</sheetData>")
        if CLASS == "merges":
            z.write(b"<mergeCells>")
            repeat(z, '<mergeCell ref="F1:G1"/>', n * len('<mergeCell ref="F1:G1"/>'))
            z.write(b"</mergeCells>")
        z.write(b"</worksheet>")

if CLASS == "sst-lying":
    # The part's inflated size as declared, in its local header (offset 22) and its
    # central-directory entry (offset 24), set to 1 KB.
    data = bytearray(open(OUT, "rb").read())
    name = b"xl/sharedStrings.xml"
    for sig, at_size, at_len, at_name in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        i = data.find(sig)
        while i >= 0:
            n = int.from_bytes(data[i + at_len : i + at_len + 2], "little")
            if data[i + at_name : i + at_name + n] == name:
                assert data[i + at_size : i + at_size + 4] != b"\xff\xff\xff\xff", "zip64 sizes"
                data[i + at_size : i + at_size + 4] = (1024).to_bytes(4, "little")
            i = data.find(sig, i + 4)
    open(OUT, "wb").write(data)
