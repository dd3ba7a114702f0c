"""The Snakemake report of a sample build, opened in a real headless browser.

The page is checked as a person gets it: it renders (the report is a React app,
so a page that only parses is not enough), every figure is decoded by the
browser, every figure sits in its chain's category with a caption naming its
rule, and a screenshot shows the page. Marked ``browser``: ``make test`` leaves it
out, ``make test-browser`` (and ``.ci/run``) run it. The browser is Debian's
``chromium``; without one the browser checks skip, saying so.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from tests.workflow import clone_build, snakemake

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PROBE = Path(__file__).with_name("report_probe.js")
CATEGORIES = {"Genomes", "KEGG", "Climate", "Exoplanets & spectra", "Registry", "Quality", "Training", "Provenance"}
CARD = "results/provenance/DATASET.html"  # the dataset card (rule write_provenance), an HTML page
FIGURES = {  # figure -> its category
    "results/genomes/samples_per_population.png": "Genomes",
    "results/exoplanets/radius_vs_teq.png": "Exoplanets & spectra",
    "results/spectra/spectra_overlay.png": "Exoplanets & spectra",
    "results/climate/climate_map.png": "Climate",
    "results/kegg/pathway_graph.png": "KEGG",
    "results/planet_runs/runs_per_planet.png": "Registry",
    "results/train/curves.png": "Training",
    "results/train/confusion.png": "Training",
    "results/train/calibration.png": "Training",
}
WINDOW = (1400, 900)
# Headless, offline, no first-run or background traffic; --no-sandbox because CI runs as root.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--virtual-time-budget=30000"]


# Session scope: set up before the (session-scoped) sample build, so a machine without a browser
# skips at once instead of building first.
@pytest.fixture(scope="session")
def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    pytest.skip("no chromium on PATH, so the report is not opened in a browser here "
                "(Debian/Ubuntu: apt-get install --no-install-recommends chromium; .ci/run does it as root)")


@pytest.fixture(scope="module")
def build_with_report(sample_build, tmp_path_factory) -> Path:
    """A copy of the sample build (the shared one is read-only) with its report.html."""
    work = clone_build(sample_build, tmp_path_factory.mktemp("report") / "build")
    snakemake(work, "--report", "report.html")
    return work


@pytest.fixture(scope="module")
def page(build_with_report) -> str:
    return (build_with_report / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def probed(build_with_report, page) -> Path:
    """The report with the probe script appended (see report_probe.js)."""
    end = page.rindex("</body>")
    path = build_with_report / "report.probed.html"
    path.write_text(f"{page[:end]}<script>{PROBE.read_text(encoding='utf-8')}</script>{page[end:]}", encoding="utf-8")
    return path


def _embedded(page: str, script_id: str):
    """One of the JSON values the report embeds as ``<script id=...>var x = {...};</script>``."""
    match = re.search(rf'<script id="{script_id}">\s*var \w+ = (.*?);\s*</script>', page, re.S)
    assert match, f"report.html embeds no {script_id!r} data"
    return json.loads(match.group(1))


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _chromium(chromium: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, errors="replace", timeout=240)
    assert proc.returncode == 0, f"chromium failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    return proc


def test_every_figure_is_embedded_in_its_category_with_a_caption(build_with_report, page):
    results, categories = _embedded(page, "results"), _embedded(page, "categories")
    assert set(categories) == CATEGORIES
    for figure, category in FIGURES.items():
        assert figure in {p for paths in categories[category].values() for p in paths}, (figure, category)
        entry = results[figure]
        assert entry["mime_type"] == "image/png"
        # The embedded picture is exactly the built file.
        embedded = entry["data_uri"].split("base64,", 1)[1]
        assert base64.b64decode(embedded) == (build_with_report / figure).read_bytes(), figure
        caption = _text(entry["caption"])
        assert len(caption) > 150 and f"rule {entry['job_properties']['rule']}" in caption, (figure, caption)
        assert "{{" not in caption and "snakemake." not in caption, f"caption template not rendered: {caption}"
    assert CARD in {p for paths in categories["Provenance"].values() for p in paths}
    assert results[CARD]["mime_type"] == "text/html" and "rule write_provenance" in _text(results[CARD]["caption"])
    climate = _text(results["results/climate/climate_map.png"]["caption"])
    assert "asb0001_b__high_co2" in climate and "blosc-zstd" in climate  # the store and the config it was built with
    description = _text(_embedded(page, "workflow-desc"))
    assert all(category in description for category in CATEGORIES)
    assert re.search(r"genomes_1000g\s*: sample", description), description


def test_report_renders_in_chromium_and_every_figure_loads(chromium, probed, build_with_report, page, tmp_path):
    dom = _chromium(chromium, tmp_path, "--dump-dom", probed.as_uri()).stdout
    match = re.search(r'<pre id="astrobuild-probe-result"[^>]*>(.*?)</pre>', dom, re.S)
    assert match, "the report's page never finished rendering in chromium (no probe result in the DOM)"
    seen = json.loads(html.unescape(match.group(1)))
    assert seen["rendered"], "the report's app did not render"
    assert all(category in seen["menu"] for category in CATEGORIES), seen["menu"]
    assert set(seen["figures"]) == set(FIGURES)
    for figure, loaded in seen["figures"].items():
        height, width = mpimg.imread(build_with_report / figure).shape[:2]
        assert loaded == {"complete": True, "width": width, "height": height}, (figure, loaded)
    # The figure left on screen has its caption in the side bar.
    caption = _text(_embedded(page, "results")[seen["shown"]]["caption"])
    assert caption[:60] in " ".join(seen["navbar"].split()), (caption[:60], seen["navbar"])


def test_screenshot_shows_the_report(chromium, probed, tmp_path):
    shot = tmp_path / "report.png"
    _chromium(chromium, tmp_path, f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--screenshot={shot}", probed.as_uri())
    image = mpimg.imread(shot)[..., :3]
    assert image.shape[:2] == (WINDOW[1], WINDOW[0])
    side, main = image[:, : WINDOW[0] // 5], image[:, WINDOW[0] // 4:]
    assert side.mean() < 0.6, "the dark side bar (menu, caption) is missing"
    colours = np.unique((main.reshape(-1, 3) * 255).astype(np.uint8), axis=0)
    assert len(colours) > 200, "the main pane shows no figure (too few colours for a plot)"
