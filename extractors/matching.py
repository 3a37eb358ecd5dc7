"""Small string tests shared by the rule components."""
from __future__ import annotations


def chars_in_order(short: str, long: str) -> bool:
    """Every character of `short` appears in `long`, in the same order (市交委 in 江南市交通运输委员会)."""
    pos = 0
    for ch in short:
        pos = long.find(ch, pos)
        if pos < 0:
            return False
        pos += 1
    return True
