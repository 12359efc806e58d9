"""The HTML report as a person sees it: rendered by headless Chromium (skips without one)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
BROWSER = next(
    (b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None
)


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    cmd = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from civiccc.cli.demo import demo

    out = tmp_path_factory.mktemp("demo")
    res = CliRunner().invoke(demo, ["--out", str(out / "demo-output"), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "waste_missed" in res.output and "cases" in res.output
    return out / "demo-output"


def test_demo_stores_cases_in_sqlite(demo_dir: Path) -> None:
    from civiccc.cases import SqliteStore

    store = SqliteStore(demo_dir / "cases.sqlite")
    try:
        cases = store.query()
    finally:
        store.close()
    assert cases and any(c.links for c in cases)
    assert (demo_dir / "report.html").stat().st_size > 10_000


@pytest.mark.skipif(
    BROWSER is None, reason="no Chromium installed (Debian: apt-get install chromium)"
)
def test_report_renders_in_headless_chromium(demo_dir: Path, tmp_path: Path) -> None:
    report = (demo_dir / "report.html").resolve()
    dom = _chromium("--dump-dom", report.as_uri(), profile=tmp_path / "p1")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert html.count("<img") == 4 and html.count("data:image/png;base64,") == 4
    assert 'id="kpis"' in html and "<th>waste_missed</th>" in html and "service_level" in html
    shot = tmp_path / "shot.png"
    res = _chromium(
        f"--screenshot={shot}", "--window-size=1400,2400", report.as_uri(), profile=tmp_path / "p2"
    )
    assert res.returncode == 0 and shot.exists(), res.stderr[-2000:]
    # the page is not blank: a PNG screenshot with real content compresses to well above a blank one
    assert shot.stat().st_size > 50_000
    # the images decode in the browser (naturalWidth > 0) - checked via a tiny script page
    probe = tmp_path / "probe.html"
    probe.write_text(
        "<html><body><iframe id=f src='" + report.as_uri() + "' width=1400 height=2400></iframe>"
        "<script>document.getElementById('f').onload=()=>{const d=document.getElementById('f')"
        ".contentDocument;const ok=[...d.images].filter(i=>i.naturalWidth>100).length;"
        "document.body.setAttribute('data-ok',ok)};</script></body></html>"
    )
    res = _chromium(
        "--allow-file-access-from-files",
        "--virtual-time-budget=5000",
        "--dump-dom",
        probe.as_uri(),
        profile=tmp_path / "p3",
    )
    assert 'data-ok="4"' in res.stdout, res.stdout[-500:]


def test_benchmark_quick_runs() -> None:
    import sys

    res = subprocess.run([sys.executable, "-P", str(ROOT / "benchmarks" / "sim.py"), "--quick"],
                         capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    for name in ("civiccc", "heapq loop", "city scale"):
        assert name in res.stdout
