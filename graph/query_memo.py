"""Answers of whole-graph questions kept beside the query index they came from.

Communities (Louvain) of a 10,000-article graph take seconds to compute and are the same
until the graph changes, so `forumgraph query OUT communities` computes them once per
graph.db and keeps the answer in `OUT/.forumgraph-cache/queries/`. An entry names the
graph.db it was computed from by size, modification time and inode (a build rewrites or
updates graph.db, which changes them), the question's parameters and the code that answered
it (`code_version`); anything else, or an unreadable entry, is a miss. Entries of older graph.db files are removed when a new one is
written. A folder that cannot be written only means nothing is kept.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from graph.atomic import remove_stale_temps


FOLDER = Path(".forumgraph-cache") / "queries"
VERSION = 1   # bump when a kept answer's layout changes

# the questions kept, as `forumgraph query` asks them and a build answers them ahead
BETWEENNESS, BETWEENNESS_PARAMS = "top", {"by": "betweenness"}   # the whole ranking
COMMUNITIES = "communities"
DEFAULT_RESOLUTION = 1.0


def communities_params(seed: int, resolution: float) -> dict[str, Any]:
    return {"seed": seed, "resolution": float(resolution)}


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the code that computes the kept answers: an answer computed by other code
    (an upgrade that changes a ranking) is a miss."""
    import importlib.util

    h = hashlib.sha256()
    # the files, found without importing them: graph.centrality brings numpy (a tenth of a second),
    # which reading a kept answer does without
    for module in ("graph.query", "graph.centrality", "graph.louvain"):
        h.update(Path(importlib.util.find_spec(module).origin).read_bytes())
    return h.hexdigest()[:16]


class QueryMemo:
    def __init__(self, index_file: str | os.PathLike):
        self.index_file = Path(index_file)
        self.folder = self.index_file.parent / FOLDER

    def _identity(self) -> str | None:
        try:
            st = os.stat(self.index_file)
            with open(self.index_file, "rb") as fh:
                header = fh.read(100)
        except OSError:
            return None
        # SQLite's file change counter (header bytes 24-27) moves with every committed change,
        # even one that keeps the size and lands in the same timestamp tick
        counter = int.from_bytes(header[24:28], "big") if len(header) >= 28 else 0
        identity = f"{st.st_size}-{st.st_mtime_ns}-{st.st_ino}-{counter}"
        try:   # in WAL mode, committed changes live in the -wal file until a checkpoint
            wal = os.stat(f"{self.index_file}-wal")
            identity += f"-{wal.st_size}-{wal.st_mtime_ns}"
        except OSError:
            pass
        return identity

    def _path(self, identity: str, question: str, params: dict) -> Path:
        spec = json.dumps({"v": VERSION, "code": code_version(), "question": question, "params": params},
                          sort_keys=True)
        digest = hashlib.sha256(f"{self.index_file.name}\0{spec}".encode()).hexdigest()[:24]
        return self.folder / f"{identity}.{digest}.json"

    def get(self, question: str, params: dict) -> Any | None:
        identity = self._identity()
        if identity is None:
            return None
        try:
            with open(self._path(identity, question, params), encoding="utf-8") as fh:
                entry = json.load(fh)
            if entry.get("question") == question and entry.get("params") == params:
                return entry["answer"]
        except (OSError, ValueError, KeyError, AttributeError):
            pass
        return None

    def put(self, question: str, params: dict, answer: Any) -> bool:
        identity = self._identity()
        if identity is None:
            return False

        path = self._path(identity, question, params)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for old in self.folder.glob("*.json"):
                if not old.name.startswith(identity + "."):
                    old.unlink(missing_ok=True)   # answers about a graph.db that is gone
            remove_stale_temps(path)
            # a temporary file renamed into place, so that no reader sees half an entry; not synced
            # (an fsync of the file and its folder costs a busy disk a tenth of a second): an entry
            # a power cut lost or left empty is missing or unreadable, which is a miss
            tmp.write_text(json.dumps({"question": question, "params": params, "answer": answer},
                                      ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:       # (no folder to hold it)
                pass
            return False
        return True


def keep_whole_graph_answers(g, index_file: str | os.PathLike) -> None:
    """Compute the whole-graph answers `forumgraph query` keeps (betweenness ranking, communities
    with the default seed and resolution) from the graph just indexed into `index_file`, and keep
    them for that file: a build of a large graph does it (`graph.export`), so that even the first
    such question after a build is read back rather than computed (numba's start-up alone, for
    Louvain, takes about a second). Must run after `index_file` is complete."""
    from graph import query as q

    memo = QueryMemo(index_file)
    questions = {BETWEENNESS: BETWEENNESS_PARAMS,
                 COMMUNITIES: communities_params(q.LOUVAIN_SEED, DEFAULT_RESOLUTION)}
    missing = {k: v for k, v in questions.items() if memo.get(k, v) is None}   # (an unchanged graph.db has them)
    if not missing:
        return
    sk = q.skeleton(g)
    if BETWEENNESS in missing:
        memo.put(BETWEENNESS, missing[BETWEENNESS], q.betweenness_ranking(sk, n=0))
    if COMMUNITIES in missing:
        memo.put(COMMUNITIES, missing[COMMUNITIES], q.communities_of(sk))


def prepare_to_keep_answers() -> None:
    """Load ahead what `keep_whole_graph_answers` needs that takes long to load (Louvain's compiled
    code), in a build process with time to spare before it forks its writers."""
    from graph import louvain

    louvain.warm()
