"""How each kind of node looks, shared by the HTML page and the GEXF export
so that Gephi and the browser show the same colours."""
from __future__ import annotations

import math

# kind -> (hex colour, vis-network shape, legend name)
KIND_STYLE: dict[str, tuple[str, str, str]] = {
    "person": ("#3b7dd8", "dot", "人物 person"),
    "organization": ("#e08a1e", "square", "机构 organization"),
    "event": ("#2e9e5b", "diamond", "活动 event"),
}
OTHER_STYLE = ("#888888", "dot", "other")


def kind_style(kind: str) -> tuple[str, str, str]:
    return KIND_STYLE.get(kind, OTHER_STYLE)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def node_size(degree: int) -> float:
    """Square-root scaling: hubs stand out without dwarfing everything else."""
    return round(10.0 + 6.0 * math.sqrt(max(degree, 0)), 2)
