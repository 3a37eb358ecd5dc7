"""Extraction inside a worker (a local process or a Dask worker): one `Extractor`
per process and NER spec, reused by every batch the worker is given, because
building the pipeline costs seconds while one article costs a fraction of one.

Failures come back as `Failure` values (a type name and a message), not raised
exceptions: one hostile article costs that article only, and arbitrary
exception objects need not survive pickling.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from extractors.documents import Document
from extractors.records import DocumentRecords
from graph.cache import Packed

_extractors: dict[str, object] = {}
# a Dask worker may run several tasks in threads; one pipeline is not known to be thread-safe
_lock = threading.Lock()


@dataclass(frozen=True)
class Failure:
    error: str      # "IndexError: boom"


# what `extract_batch` sends back per document: packed records (see `graph.cache.Packed`),
# records (in this process, or records the codec cannot pack) or a Failure
Result = DocumentRecords | Packed | Failure


def get_extractor(ner: str):
    """This process's Extractor for `ner`, built on first use."""
    from extractors.pipeline import Extractor

    if ner not in _extractors:
        _extractors[ner] = Extractor(ner=ner)
    return _extractors[ner]


def init_worker(ner: str) -> None:
    """ProcessPoolExecutor initializer: build the pipeline before the first batch arrives."""
    with _lock:
        if "hanlp" not in ner:
            _spacy_without_torch()
        get_extractor(ner)


def _spacy_without_torch() -> None:
    """Import spaCy without PyTorch in a local worker that will not need it. spaCy's thinc
    imports PyTorch whenever it is installed (the HanLP extra installs it): ~2 s of a
    worker's start-up, for nothing in a LAC pipeline. Only in our own worker processes:
    elsewhere another library may want thinc's PyTorch support."""
    import sys

    if "spacy" in sys.modules or "thinc" in sys.modules or "torch" in sys.modules:
        return
    sys.modules["torch"] = None   # `import torch` raises ImportError: thinc takes it as absent
    try:
        import spacy  # noqa: F401
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]   # a later `import torch` (if anything asks) works as usual


def as_result(outcome: DocumentRecords | Exception) -> DocumentRecords | Failure:
    """`Extractor.pipe`'s outcome for one document, in this process: records compacted (each
    string once: they are kept for the whole build), or a Failure."""
    from graph.cache import compact

    if isinstance(outcome, Exception):
        return Failure(f"{type(outcome).__name__}: {outcome}")
    return compact(outcome)


def as_sent(outcome: DocumentRecords | Exception) -> Result:
    """`Extractor.pipe`'s outcome for one document, to send to another process: records
    packed (`graph.cache.pack`: cheaper to send, to cache and to unpack than pickled
    objects), or a Failure."""
    from graph.cache import pack

    if isinstance(outcome, Exception):
        return Failure(f"{type(outcome).__name__}: {outcome}")
    return pack(outcome)


def received(result: Result) -> DocumentRecords | Failure:
    """A result of `extract_batch` as records (or the Failure)."""
    return result.records() if isinstance(result, Packed) else result


def extract_batch(docs: list[Document], ner: str) -> list[Result]:
    """Records (packed, or a Failure) for each document, in order; the batch goes through
    `Extractor.pipe`, so LAC sees the sentences of all its documents at once."""
    with _lock:
        extractor = get_extractor(ner)
        return [as_sent(r) for r in extractor.pipe(docs)]


def versioned_batch(docs: list[Document], ner: str) -> tuple[str, list[Result]]:
    """`extract_batch` plus this worker's pipeline version, so that a client can refuse
    results from a worker host running other extraction code (they would poison its cache)."""
    from graph.cache import pipeline_version

    return pipeline_version(), extract_batch(docs, ner)
