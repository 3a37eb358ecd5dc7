#!/usr/bin/env bash
# Install the optional [hanlp] extra into the current Python environment and run
# the HanLP tests.  torch is pinned and installed FIRST: that exact version is a
# CPU build pip finds locally; any other torch spec would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-}"
if [ -z "$PY" ]; then PY="$(command -v python || command -v python3)"; fi

# The extra's requirements, read from setup.cfg so there is one source of truth.
mapfile -t REQS < <("$PY" - <<'PYEOF'
import configparser
cfg = configparser.ConfigParser()
cfg.read("setup.cfg")
for req in cfg["options.extras_require"]["hanlp"].split("\n"):
    if req.strip():
        print(req.strip())
PYEOF
)
TORCH=""
for r in "${REQS[@]}"; do case "$r" in torch*) TORCH="$r";; esac; done
[ -n "$TORCH" ] || { echo "setup.cfg's [hanlp] extra has no torch pin" >&2; exit 1; }

"$PY" -m pip install -q "$TORCH"
"$PY" -m pip install -q "${REQS[@]}"
# fail loudly here rather than letting every hanlp test skip
"$PY" -c "import torch, hanlp; print('hanlp', hanlp.__version__, 'torch', torch.__version__)"

"$PY" -m pytest -m hanlp -q -p no:cacheprovider tests/test_hanlp_ner.py
