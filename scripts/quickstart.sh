#!/usr/bin/env bash
# Set up lrlab in ./.venv (exact versions from requirements.lock), then run either the whole
# pipeline (`dvc repro`) or the test suite. Needs only Python 3.11 and the package registries.
#   bash scripts/quickstart.sh pipeline   # install + dvc repro
#   bash scripts/quickstart.sh test       # install (dev tools, S3 and Ray support) + pytest
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-}"
case "$what" in
  pipeline) extras="" ;;
  test) extras="[dev,s3,cluster]" ;;  # real S3 and Ray: tests/test_s3.py, test_ray_cluster.py
  *) echo "usage: bash scripts/quickstart.sh pipeline|test" >&2; exit 2 ;;
esac
python="${PYTHON:-python3.11}"
if ! command -v "$python" >/dev/null; then
  echo "error: $python not found. Install Python 3.11 or set PYTHON=/path/to/python3.11." >&2
  exit 2
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
# shellcheck disable=SC1091
. .venv/bin/activate
echo "installing lrlab$extras into .venv (first time: a few minutes; torch is large)"
pip install -q --disable-pip-version-check -c requirements.lock -e ".$extras" 2>&1 \
  | { grep -v "is ignored: it is neither a file nor a directory" || true; }
if command -v npm >/dev/null; then  # charts that render offline: docs/pipeline.md, "Plots"
  npm ci --prefix tools/vega --no-audit --no-fund --loglevel=error
  python tools/vega/build_template.py
else
  echo "note: npm not found, so \`dvc plots show\` will load its chart libraries from a CDN"
fi
case "$what" in
  pipeline) dvc repro ;;
  test) python -m pytest ;;
esac
