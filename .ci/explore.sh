#!/usr/bin/env bash
# Tools for the exploring tests (issue 3), then the notebook run top to bottom.
#   - Debian's chromium: tests/test_html_browser.py drives it headless over DevTools
#   - graphology parsers (npm ci in tests/js): tests/test_export_formats.py reads our GraphML/GEXF with them
#   - notebooks/explore.ipynb executed with nbclient (builds from seeds/)
# Called by .ci/run before pytest. PYTHON may name the interpreter; default: the repo's .venv, else python3.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if command -v npm >/dev/null 2>&1; then
  (cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
else
  echo "explore.sh: npm not found; the graphology checks will be skipped" >&2
fi

# the test extra carries nbclient, ipykernel and websocket-client
if ! "$PYTHON" -c "import nbclient, nbformat, ipykernel, websocket" 2>/dev/null; then
  "$PYTHON" -m pip install -q -e '.[test]'
fi

"$PYTHON" - <<'PY'
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

path = Path("notebooks/explore.ipynb")
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
if errors:
    sys.exit(f"notebook failed: {errors[0].get('ename')}: {errors[0].get('evalue')}")
print(f"explore.sh: {path} ran top to bottom ({len(nb.cells)} cells)")
PY
