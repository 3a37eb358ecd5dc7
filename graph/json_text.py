"""Compact JSON text with sorted keys and non-ASCII kept: what
`json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))` gives,
written by orjson when it can (graph.html's 30 MB of page data in a third of the time).

orjson refuses what the standard library accepts in other ways (keys that are not
strings, lone surrogates, integers beyond 64 bits): those objects, and a machine
without orjson, take the standard library. tests/test_json_text.py checks the two
agree on the kinds of values the exporters write.
"""
from __future__ import annotations

import json

try:
    import orjson
except ImportError:  # pragma: no cover - exercised where orjson is absent
    orjson = None


def sorted_compact(obj) -> str:
    """`json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))`."""
    if orjson is not None:
        try:
            return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode("utf-8")
        except (TypeError, orjson.JSONEncodeError):
            pass
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
