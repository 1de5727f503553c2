"""Write the HTML template `dvc plots show` and `dvc plots diff` fill, with vega, vega-lite and
vega-embed inlined from this folder's npm packages (pinned in package-lock.json), so the page
draws its charts with no network.

    npm ci --prefix tools/vega && python tools/vega/build_template.py

writes ``tools/vega/offline.html`` and, inside a DVC repository, points this clone's DVC at it
(``dvc config --local plots.html_template ../tools/vega/offline.html``: .dvc/config.local,
never committed, so a clone without the template keeps DVC's own, which loads the libraries
from a CDN). ``scripts/quickstart.sh`` runs both steps. The page is DVC's default one with
``{scripts}``, where DVC puts its CDN script tags, replaced by the inlined libraries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
LIBRARIES = ("vega/build/vega.min.js", "vega-lite/build/vega-lite.min.js")
LIBRARIES += ("vega-embed/build/vega-embed.min.js",)
TEMPLATE = HERE / "offline.html"
PAGE = """<!DOCTYPE html>
<html>
<head>
    {refresh_tag}
    <meta charset="utf-8">
    <title>DVC Plot</title>
{libraries}
    <style>
        table {
            border-spacing: 15px;
        }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""


def script(relative: str) -> str:
    modules = HERE / "node_modules"
    package = json.loads((modules / relative.split("/")[0] / "package.json").read_text())
    code = (modules / relative).read_text(encoding="utf-8").replace("</script", "<\\/script")
    return f"    <!-- {package['name']} {package['version']} -->\n    <script>{code}</script>"


def build() -> str:
    missing = [lib for lib in LIBRARIES if not (HERE / "node_modules" / lib).is_file()]
    if missing:
        fix = "run `npm ci --prefix tools/vega`"
        sys.exit(f"{HERE / 'node_modules'} lacks {', '.join(missing)}: {fix}")
    return PAGE.replace("{libraries}", "\n".join(script(lib) for lib in LIBRARIES))


def main() -> None:
    page = build()
    with tempfile.NamedTemporaryFile("w", dir=HERE, delete=False, encoding="utf-8") as handle:
        handle.write(page)
    os.replace(handle.name, TEMPLATE)
    print(f"wrote {TEMPLATE} ({len(page) // 1024} KiB)")
    root = HERE.parents[1]
    if (root / ".dvc").is_dir():
        relative = os.path.relpath(TEMPLATE, root / ".dvc")  # DVC resolves it from .dvc/
        subprocess.run(
            [sys.executable, "-m", "dvc", "config", "--local", "plots.html_template", relative],
            cwd=root,
            check=True,
        )
        print(f"dvc plots show / diff in {root} now use it (.dvc/config.local)")


if __name__ == "__main__":
    main()
