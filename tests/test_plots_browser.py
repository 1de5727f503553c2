"""`dvc plots show` and `dvc plots diff` pages render every chart with no network, in a real
browser: headless Chromium (Debian's ``chromium-headless-shell``) run in a network namespace
of its own (``unshare -n``), on the toy project's plots, with the offline template
(tools/vega/build_template.py) configured as the README's set-up configures it.

A probe script appended to the page waits for the charts, then records, for every chart the
page declares (each ``vegaEmbed('#<id>', ...)`` call), whether vega-embed drew a canvas and
how many coloured pixels it holds (the marks: axes and text are grey). Screenshots of the page
and of one PNG figure must not be blank. In CI a missing Chromium, ``unshare`` or npm build
fails the test; elsewhere it skips.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from repo_kit import TOY_VARIANTS, dvc, dvc_json, edit_params, missing, toy_project

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools" / "vega"))
import build_template  # noqa: E402

from stages import train as train_stage  # noqa: E402

pytestmark = pytest.mark.end_to_end
CHROMIUM = shutil.which("chromium-headless-shell")
PROBE = """<script>
window.addEventListener("load", () => setTimeout(() => {
  const charts = IDS.map(id => {
    const el = document.getElementById(id);
    const canvas = el && el.querySelector("canvas");
    let marks = 0;
    if (canvas && canvas.width && canvas.height) {
      const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = data.slice(i, i + 4);
        if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 60) marks++;
      }
    }
    return {id, embedded: !!el && el.classList.contains("vega-embed"), canvas: !!canvas, marks};
  });
  const out = document.createElement("pre");
  out.id = "lrlab-probe";
  out.textContent = JSON.stringify(charts);
  document.body.appendChild(out);
}, 2000));
</script>
"""


def browser(*args: str) -> str:
    """Headless Chromium with no network at all (its own network namespace)."""
    cmd = ["unshare", "-n", CHROMIUM, "--no-sandbox", "--disable-gpu", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    if CHROMIUM is None:
        missing("chromium-headless-shell is not installed (apt install chromium-headless-shell)")
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode:
        missing("`unshare -n` cannot make a network namespace here")
    if not (build_template.HERE / "node_modules").is_dir():
        missing("tools/vega/node_modules is missing (npm ci --prefix tools/vega)")
    repo = toy_project(tmp_path_factory, tmp_path_factory.mktemp("plots") / "repo")
    (repo / ".dvc" / "plots.html").write_text(build_template.build(), encoding="utf-8")
    dvc(repo, "config", "--local", "plots.html_template", "plots.html")
    return repo


def probe(page: Path) -> list[dict]:
    html = page.read_text(encoding="utf-8")
    ids = re.findall(r"vegaEmbed\('#([^']+)'", html)
    head, tail = html.rsplit("</body>", 1)
    probed = page.with_name("probed.html")
    probed.write_text(head + PROBE.replace("IDS", json.dumps(ids)) + "</body>" + tail)
    dom = browser(
        "--allow-file-access-from-files",
        "--virtual-time-budget=30000",
        "--dump-dom",
        probed.as_uri(),
    )
    found = re.search(r'<pre id="lrlab-probe">(.*?)</pre>', dom, re.S)
    assert found, "the probe never ran: the page's scripts failed"
    return json.loads(found[1].replace("&quot;", '"'))


def not_blank(png: Path) -> float:
    pixels = np.asarray(Image.open(png).convert("L"), dtype=float)
    return float(pixels.std())


def test_every_chart_renders_offline_in_plots_show(project, tmp_path):
    log = dvc(project, "plots", "show", "-o", str(tmp_path / "show"))
    assert "Could not find provided field" not in log, log  # DVC would drop that chart
    page = tmp_path / "show" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert "cdn.jsdelivr.net" not in html and "<!-- vega 5." in html
    charts = probe(page)  # DVC's own list of the charts: the extension's test below
    assert len(charts) == 2 * len(TOY_VARIANTS), charts
    bad = [c for c in charts if not (c["embedded"] and c["canvas"] and c["marks"] > 50)]
    assert not bad, f"charts not drawn offline: {bad}"
    print(f"plots show: {len(charts)} charts declared, {len(charts) - len(bad)} rendered offline")
    shot = tmp_path / "page.png"
    browser(
        "--allow-file-access-from-files",
        "--virtual-time-budget=30000",
        f"--screenshot={shot}",
        "--window-size=900,700",
        page.as_uri(),
    )
    figure = next((project / "figures" / TOY_VARIANTS[0]).glob("*.png"))
    shot_figure = tmp_path / "figure.png"
    browser(f"--screenshot={shot_figure}", "--window-size=900,700", figure.as_uri())
    assert not_blank(shot) > 5 and not_blank(shot_figure) > 5, "a blank screenshot"


def test_plots_diff_uses_the_same_offline_page(project, tmp_path):
    dvc(project, "plots", "diff", "HEAD", "-o", str(tmp_path / "diff"))
    page = tmp_path / "diff" / "index.html"
    assert "cdn.jsdelivr.net" not in page.read_text(encoding="utf-8")
    charts = probe(page)
    assert len(charts) == 2 * len(TOY_VARIANTS), charts
    assert all(c["canvas"] and c["marks"] > 50 for c in charts), charts


def test_the_vs_code_extension_gets_every_plot(project, tmp_path):
    """The DVC extension (lakeFS.lakefs-dvc, in .vscode/extensions.json) draws its plots
    dashboard from `dvc plots diff <revisions> -o .dvc/tmp/plots --split --json` (its
    extension/src/cli/dvc/reader.ts, plotsDiff): every declared plot must come back without
    errors, each variant's charts with data and its figures as image files."""
    out = dvc_json(project, "plots", "diff", "HEAD", "-o", str(tmp_path / "ext"), "--split")
    assert not out.get("errors"), out.get("errors")  # a missing field would drop a chart
    data = out["data"]
    vega = [k for k, v in data.items() if any(p["type"] == "vega" for p in v)]
    assert len(vega) == 2 * len(TOY_VARIANTS), vega  # the charts the pages above must draw
    curves = {
        key: {
            row["field"]
            for row in data[f"history/{key}.csv"][0]["anchor_definitions"]["<DVC_METRIC_DATA>"]
            if row["dvc_inferred_y_value"] != "nan"
        }
        for key in TOY_VARIANTS
    }  # the loss and, for a classifier, the accuracy, on one chart per variant
    assert curves == {"linear_toy": {"train_loss"}, "study_hours": {"train_loss", "train_accuracy"}}
    for key in TOY_VARIANTS:
        for chart in (f"history/{key}.csv", f"predictions/{key}.csv"):
            assert data[chart][0]["type"] == "vega" and data[chart][0]["anchor_definitions"]
        figures = [p for p in data if p.startswith(f"figures/{key}/")]
        assert figures and all(Path(data[p][0]["url"]).is_file() for p in figures)


def test_plots_diff_overlays_a_changed_runs_loss_and_accuracy(project, tmp_path):
    """study_hours retrained with another learning rate: `dvc plots diff HEAD` puts both
    revisions' loss and accuracy curves on its one chart."""
    repo = tmp_path / "repo"
    shutil.copytree(project, repo, symlinks=True)
    edit_params(repo, lambda p: p["variants"]["study_hours"]["optimizer"].update(lr=0.5))
    train_stage.main(["study_hours", "--root", str(repo)])
    out = dvc_json(repo, "plots", "diff", "HEAD", "-o", str(tmp_path / "diff"), "--split")
    rows = out["data"]["history/study_hours.csv"][0]["anchor_definitions"]["<DVC_METRIC_DATA>"]
    curves = {(row["rev"], row["field"]) for row in rows if row["dvc_inferred_y_value"] != "nan"}
    fields = ("train_loss", "train_accuracy")
    assert curves == {(rev, field) for rev in ("HEAD", "workspace") for field in fields}
    head, now = ([r for r in rows if r["rev"] == rev] for rev in ("HEAD", "workspace"))
    assert [r["train_loss"] for r in head] != [r["train_loss"] for r in now], "not retrained"
