"""Fixtures shared by the export-reuse tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from graph.export import fragments


@pytest.fixture
def written(monkeypatch) -> dict[str, tuple[int, int]]:
    """File name -> (bytes copied, bytes rendered) of its last write with reuse."""
    seen: dict[str, tuple[int, int]] = {}
    real = fragments.FragmentOutput.commit

    def commit(self, path):
        seen[Path(path).name] = (self.copied, self.rendered)
        real(self, path)

    monkeypatch.setattr(fragments.FragmentOutput, "commit", commit)
    return seen
