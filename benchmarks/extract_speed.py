"""Characters per CPU-second of one `Extractor` (one process, the model loaded once).

    python benchmarks/extract_speed.py [FILES...]    # default: seeds/*.txt, three times over
"""
from __future__ import annotations

import glob
import sys
import time

from extractors.documents import read_file
from extractors.pipeline import Extractor


def main(paths: list[str]) -> None:
    docs = [read_file(p)[0] for p in paths] * (3 if not sys.argv[1:] else 1)
    ex = Extractor()
    ex(docs[0])                      # warm-up: model load, lexicons, OpenCC tables
    t = time.process_time()
    chars = 0
    for d in docs:
        ex(d)
        chars += len(d.text)
    cpu = time.process_time() - t
    print(f"{len(docs)} documents, {chars} characters, {cpu:.2f} CPU s: {chars / cpu:,.0f} characters per CPU-second")


if __name__ == "__main__":
    main(sys.argv[1:] or sorted(glob.glob("seeds/*.txt")))
