"""Every page the runner writes, in a real headless Chromium: loads with the network off, no console
errors, images render, no horizontal overflow at 390 px, prints to PDF with every chart in it,
and data-borne strings stay text."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_notebook, run_cli
from quick_notebooks import QUICK_PARAMS, quick_notebook

PHONE_WIDTH = 390
DESKTOP_WIDTH = 1280
#: CSS pixels of an A4 page's printable width with the margins :meth:`Page.pdf` uses (8.27 in − 0.8 in).
PRINT_WIDTH = 717
EVIL = "<img src=x onerror=alert(1)>"

CHART_BODY = [
    "import pandas as pd\nimport matplotlib.pyplot as plt\nfrom IPython.display import display\n"
    "from playbook import report, theme\nreport.setup()",
    "report.summary(['Revenue grew 12% [4%, 20%] over the last 12 months.', 'North is the region to prioritise.'])\n"
    "tiles = [report.Tile('Revenue, last 12 months', '$1.23M', '90% interval $1.10M to $1.38M', 'good'),\n"
    "         report.Tile('Growth', '+12.0%', 'year on year'), report.Tile('Share', '18.4%', '-1.2 pp', 'bad'),\n"
    "         report.Tile('Stale data', '344 days', 'data end 2025-12-22', 'warn')]\n"
    "report.tiles(tiles)\nreport.banner('A long banner without breaks: ' + 'an_unbreakable_identifier_' * 12, 'warning')",
    "fig, ax = plt.subplots()\nax.plot(range(52), [1000 + 40 * i for i in range(52)], label='revenue')\n"
    "theme.money_axis(ax)\nax.set_title('Weekly revenue')\nax.legend()\n"
    "report.card('Revenue rose every week.', fig, 'Each point is one week of revenue.')",
    "fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)\nax.bar([f'channel {i}' for i in range(12)], range(12))\n"
    "ax.set_title('Spend by channel')\nreport.card('Channel 11 spends most.', fig, 'Bars are spend per channel.')",
    "wide = pd.DataFrame({f'Contribution of channel {i}, $': [1234567.891 * (i + 1), 2.5] for i in range(14)})\n"
    "report.table(wide, caption='A table wider than a phone', headers={})\ndisplay(wide)",
    "report.save_results('chart', {'ok': True}, output_dir, headline=tiles)",
]


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """One run of three fixture notebooks: a report with charts and wide tables, a failed one
    whose error carries markup, and one whose data-borne strings (tiles, warnings, parameters) do."""
    tmp = tmp_path_factory.mktemp("pages")
    data, nbs, out = tmp / "data", tmp / "nbs", tmp / "out"
    data.mkdir()
    nbs.mkdir()
    pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"], "order_date": ["2024-01-05"], "revenue": [1.0]}).to_csv(
        data / "orders.csv", index=False)
    make_notebook(nbs / "chart.ipynb", QUICK_PARAMS, CHART_BODY, ["orders"], title="Chart report")
    quick_notebook(nbs, "broken", [f"raise ValueError({EVIL + ' is not a channel'!r})"])
    quick_notebook(nbs, "xss", ["x = 1"], params=f"brand: str = {EVIL!r}  # our brand\n",
                   headline=f"[{{'label': {EVIL!r}, 'value': '<script>alert(2)</script>', 'detail': '<b onmouseover=alert(3)>x</b>', "
                            "'tone': 'bad\" onclick=\"alert(4)'}]",
                   warnings=f"[{{'file': {EVIL!r}, 'rows': '1', 'assumption': 'a', 'action': 'b'}}]")
    res = run_cli("run", "--notebooks", str(nbs), "--data", str(data), "--out", str(out), "-p", "xss.brand=<script>alert(5)</script>")
    assert res.returncode == 1, res.stderr[-2000:]  # broken fails, on purpose
    return {p.name: p for p in [out / "index.html", out / "chart.html", out / "broken.failed.html", out / "xss.html"]}


def reported_pages() -> list[Path]:
    """Extra pages to check: every ``*.html`` under ``$PLAYBOOK_CHECK_REPORTS`` (e.g. a demo run)."""
    folder = os.environ.get("PLAYBOOK_CHECK_REPORTS")
    return sorted(Path(folder).rglob("*.html")) if folder else []


IMAGES = """Array.from(document.images).map(img => {
  const r = img.getBoundingClientRect();
  let blank = null;
  if (img.complete && img.naturalWidth) {
    const c = document.createElement('canvas'); c.width = 64; c.height = 64;
    const g = c.getContext('2d'); g.drawImage(img, 0, 0, 64, 64);
    const d = g.getImageData(0, 0, 64, 64).data; const first = d.slice(0, 4).join();
    blank = true; for (let i = 0; i < d.length; i += 4) { if (d.slice(i, i + 4).join() !== first) { blank = false; break; } }
  }
  return {complete: img.complete, natural: img.naturalWidth, width: r.width, height: r.height, right: r.right, blank};
})"""
OVERFLOW = """(() => ({doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, view: window.innerWidth,
  culprits: Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
    && !e.closest('.pb-table-wrap, .jp-OutputArea-output, details:not([open])')).slice(0, 5).map(e => e.tagName + '.' + e.className)}))()"""


def check_page(page, path: Path, shots: Path) -> dict:
    page.send("Emulation.setDeviceMetricsOverride", width=DESKTOP_WIDTH, height=900, deviceScaleFactor=1, mobile=False)
    page.open(path.resolve().as_uri())
    assert page.problems() == [], path.name
    images = page.evaluate(IMAGES)
    for img in images:
        assert img["complete"] and img["natural"] > 0 and img["width"] > 0 and img["height"] > 0, (path.name, img)
        assert img["blank"] is False, f"{path.name}: an empty (single-colour) chart"

    page.send("Emulation.setDeviceMetricsOverride", width=PHONE_WIDTH, height=844, deviceScaleFactor=2, mobile=True)
    phone = page.evaluate(OVERFLOW)
    assert phone["doc"] <= PHONE_WIDTH and phone["body"] <= PHONE_WIDTH and not phone["culprits"], (path.name, phone)
    for img in page.evaluate(IMAGES):
        assert 0 < img["width"] and img["right"] <= PHONE_WIDTH + 1, (path.name, "chart wider than the phone", img)
    assert page.screenshot(shots / f"{path.stem}-390.png").stat().st_size > 5000

    page.send("Emulation.setDeviceMetricsOverride", width=PRINT_WIDTH, height=1000, deviceScaleFactor=1, mobile=False)
    page.send("Emulation.setEmulatedMedia", media="print")
    printed = page.evaluate(OVERFLOW)
    assert printed["doc"] <= PRINT_WIDTH and not printed["culprits"], (path.name, "print overflows the page width", printed)
    scrolling = page.evaluate("Array.from(document.querySelectorAll('table')).filter(t => t.getBoundingClientRect().right > "
                              "window.innerWidth + 1).length")
    assert scrolling == 0, f"{path.name}: a table is cut in print"
    pdf = page.pdf(shots / f"{path.stem}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000
    assert len(re.findall(rb"/Subtype\s*/Image", pdf)) >= len(images), f"{path.name}: a chart is missing from the PDF"
    page.send("Emulation.setEmulatedMedia", media="")
    page.send("Emulation.clearDeviceMetricsOverride")
    return {"images": images, "text": page.evaluate("document.body.textContent")}


@pytest.mark.parametrize("name", ["index.html", "chart.html", "broken.failed.html", "xss.html"])
def test_page_in_a_real_browser(pages, page, name, tmp_path):
    seen = check_page(page, pages[name], tmp_path)
    if name == "chart.html":
        assert len(seen["images"]) == 2, "both charts render"
        assert all(img["natural"] >= 1.9 * img["width"] for img in seen["images"]), "charts are drawn at twice their size"
    if name in ("broken.failed.html", "index.html"):
        assert f"{EVIL} is not a channel" in seen["text"]  # shown as text, never run
    if name == "xss.html":
        assert "<script>alert(5)</script>" in seen["text"]


def test_index_escapes_data_borne_tiles_and_warnings(pages, page):
    page.open(pages["index.html"].resolve().as_uri())
    assert page.problems() == []
    text = page.evaluate("document.body.textContent")
    for shown in (EVIL, "<script>alert(2)</script>", "<b onmouseover=alert(3)>x</b>", "1 data warning"):
        assert shown in text
    source = pages["index.html"].read_text()
    assert "onclick" not in source.replace("&quot; onclick=&quot;", "") and EVIL not in source


@pytest.mark.skipif(not os.environ.get("PLAYBOOK_CHECK_REPORTS"), reason="set PLAYBOOK_CHECK_REPORTS=<run folder> to check its pages")
@pytest.mark.parametrize("path", reported_pages() or [None], ids=lambda p: p.name if p else "none")
def test_pages_of_a_given_run_in_a_real_browser(page, path, tmp_path):
    check_page(page, path, tmp_path)
