"""Every page a run writes, opened in a real browser (headless Chromium with CJK fonts).

The pages are what liaisons and operators open on a government intranet: they
must render with no console error, show their Chinese headings, draw every
chart at a real size, fetch nothing from the network and, on a liaison page,
show no value from the data. A screenshot of each page is kept under
``tests/artifacts/browser/`` (git-ignored) for a person to look at.

Chromium and chromedriver are Debian's packages (``.ci/run`` installs them).
Outside CI the tests skip when they are absent; in CI (``CI=true``) they fail.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from taizhang import sealed

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
PERIODS = ["2025H2", "2026H1"]
CJK = re.compile(r"[\u4e00-\u9fff]")
# Least number of charts each kind of page draws; a page that loses one fails.
MIN_CHARTS = {"index": 2, "liaison": 3, "summary": 4, "review": 1}


def _require_browser() -> None:
    if CHROMIUM and CHROMEDRIVER:
        return
    missing = ", ".join(n for n, p in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if not p)
    message = f"{missing} not installed (apt-get install chromium chromium-driver fonts-noto-cjk)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests must run in CI: {message}")
    pytest.skip(message)


@pytest.fixture(scope="module")
def driver():
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=zh-CN"):
        options.add_argument(arg)
    options.add_argument("--window-size=1280,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.set_page_load_timeout(60)
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Two half-years generated and run without Prefect: every page a run writes."""
    from taizhang import pipeline
    from taizhang.generate.extracts import generate

    root = tmp_path_factory.mktemp("browser-run")
    generate(root / "extracts", 600, 11, PERIODS)
    for period in PERIODS:
        pipeline.run_period(root / "extracts" / period, period, root / "out")
    return root / "out"


def _kind(path: Path) -> str:
    if path.name == "index.html":
        return "index"
    if path.parent.name == "validation":
        return "liaison"
    return "summary" if path.name == "province_summary.html" else "review"


def _pages(out: Path) -> list[Path]:
    return sorted(p for period in PERIODS for p in (out / period).rglob("*.html") if "state" not in p.parts)


def _data_values(period_dir: Path) -> set[str]:
    """Names, identity numbers and phones of the run's staged rows: none may show on a liaison page."""
    values: set[str] = set()
    for path in sorted((period_dir / "state").glob("staged_*.parquet")):
        frame = sealed.read_frame(path)  # the run keeps its state sealed
        for column in frame.columns:
            if column.endswith(("name", "_id", "id_number", "phone")) and frame[column].dtype == pl.Utf8:
                values |= {v.strip() for v in frame[column].drop_nulls().to_list() if len(v.strip()) >= 2}
    return values


def _pieces(text: str) -> set[str]:
    """Every run of digits and letters, and every 2-4 character piece of every run of Chinese: the
    shapes a name, an identity number or a phone could take in ``text`` (linear in its length)."""
    pieces = set(re.findall(r"[0-9A-Za-z]{2,}", text))
    for run in re.findall(r"[\u4e00-\u9fff·]+", text):
        pieces |= {run[i : i + n] for n in (2, 3, 4) for i in range(len(run) - n + 1)}
    return pieces


def _open(driver, path: Path) -> dict:
    driver.get(path.as_uri())
    errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(int(height), 800), 8000))
    return {"errors": errors}


def test_every_page_a_run_writes_renders_cleanly_with_its_charts(driver, run):
    from selenium.webdriver.common.by import By

    pages = _pages(run)
    kinds = {_kind(p) for p in pages}
    assert kinds == set(MIN_CHARTS), f"a run must write every kind of page, wrote {sorted(kinds)}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for path in pages:
        label = str(path.relative_to(run))
        seen = _open(driver, path)
        assert not seen["errors"], (label, seen["errors"])
        # The CJK font is there: headings are drawn in it, not in boxes.
        assert driver.execute_script("return document.fonts.check('16px \"Noto Sans CJK SC\"')"), label
        h1 = driver.find_element(By.TAG_NAME, "h1").text
        assert CJK.search(h1), label
        assert all(CJK.search(h.text) for h in driver.find_elements(By.TAG_NAME, "h2")), label
        figures = driver.find_elements(By.CSS_SELECTOR, "figure.chart")
        assert len(figures) >= MIN_CHARTS[_kind(path)], (label, len(figures))
        for figure in figures:
            if "empty" in (figure.get_attribute("class") or ""):
                assert "无数据" in figure.text, label
                continue
            svg = figure.find_element(By.TAG_NAME, "svg")
            assert svg.size["width"] > 100 and svg.size["height"] > 20, (label, svg.size)
            marks = figure.find_elements(By.CSS_SELECTOR, "rect")
            assert any(m.size["width"] > 0 and m.size["height"] > 0 for m in marks), (label, "no bar drawn")
        # Nothing is fetched: every resource the page loaded is the page itself.
        fetched = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert fetched == [], (label, fetched)
        name = label.replace("/", "_").removesuffix(".html") + ".png"
        assert driver.save_screenshot(str(ARTIFACTS / name)), label


def test_no_value_from_the_data_is_on_a_liaison_page(driver, run):
    from selenium.webdriver.common.by import By

    for period in PERIODS:
        values = _data_values(run / period)
        assert len(values) > 500  # names, identity numbers and phones of hundreds of children
        for path in sorted((run / period / "validation").glob("*.html")):
            _open(driver, path)
            text = driver.find_element(By.TAG_NAME, "body").text + "\n" + driver.page_source
            leaked = sorted(_pieces(text) & values)
            assert not leaked, (path.name, len(leaked), "values from the data on a liaison page")


def test_the_index_and_each_page_show_the_same_counts(driver, run):
    from selenium.webdriver.common.by import By

    for period in PERIODS:
        folder = run / period / "validation"
        _open(driver, folder / "index.html")
        rows = driver.find_elements(By.CSS_SELECTOR, "table tr")
        index = {}
        for row in rows[1:]:
            link = row.find_element(By.TAG_NAME, "a").get_attribute("href")
            cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
            index[Path(link.split("?")[0]).name] = (cells[2], cells[-1])  # status, rows to fix
        assert index
        for page_name, (status, to_fix) in index.items():
            _open(driver, folder / page_name)
            cards = {
                c.text.splitlines()[0]: c.text.splitlines()[-1]
                for c in driver.find_elements(By.CSS_SELECTOR, ".card")
            }
            assert cards["待修正行"] == to_fix, page_name
            assert driver.find_element(By.CSS_SELECTOR, ".badge").text == status, page_name
