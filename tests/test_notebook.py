"""notebooks/explore.ipynb runs top to bottom (it builds from seeds/, so it is slow)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"


@pytest.mark.slow
def test_notebook_executes():
    for module in ("nbformat", "nbclient", "ipykernel"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (pip install -e '.[test]')")
    if importlib.util.find_spec("extractors.pipeline") is None:
        pytest.skip("the extraction pipeline is not there yet")
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "documents →" in text and "pairs" in text
    assert any("IFrame" in str(o.get("data", {}).get("text/plain", "")) or "iframe" in str(o.get("data", {}).get("text/html", ""))
               for o in outputs)
