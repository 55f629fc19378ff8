"""The architecture drift as one mermaid flowchart: base and head diagrams, merged.

Two phase documents draw their diagrams independently: node ids (``A``,
``B``, ``loki``) are local to each document and get reused for different
things, while labels are what the author means.  So nodes are matched across
the diagrams as the diff matches them (``diagrams.match_nodes``: by id and
label, then by label, then by id, so a reworded node stays one node), the ids
are regenerated (``n1``, ``n2`` … in label order) and the picture is the union, styled with the
template's own legend colours: new green, modified blue, removed red with
dotted edges.  Output depends only on the diagrams' content, never on their
source order, so a changelog built from it is byte-stable.
"""

from __future__ import annotations

from dataclasses import dataclass

from phasediff.diagrams import match_nodes, node_key
from phasediff.model import Diagram, Legend
from phasediff.text import collapse, normalise_key

NEW_FILL = "#90EE90"
MODIFIED_FILL = "#87CEEB"
DEPRECATED_FILL = "#FFB6C1"

_ESCAPES = {"#": "#35;", '"': "#34;", "<": "#60;", ">": "#62;", "`": "#96;", "|": "#124;"}

EdgeKey = tuple[str, str, str]


@dataclass(frozen=True)
class _Graph:
    """One diagram in label space: node key -> (label, legend), edges between node keys."""

    nodes: dict[str, tuple[str, Legend | None]]
    edges: dict[EdgeKey, str]  # edge key -> display label


def mermaid_label(text: str) -> str:
    """A label as a quoted mermaid string: quotes, markup and fences cannot escape it."""
    text = collapse(text)
    return '"' + "".join(_ESCAPES.get(char, char) for char in text) + '"'


def _graph(diagram: Diagram, identity: dict[str, str]) -> _Graph:
    keys: dict[str, str] = {}
    nodes: dict[str, tuple[str, Legend | None]] = {}
    for node in diagram.nodes:
        label = collapse(node.label) or node.id
        key = identity.get(node.id) or node_key(node)
        keys[node.id] = key
        # Two nodes with one label are one thing drawn twice; keep a legend if either has one.
        previous = nodes.get(key)
        legend = node.legend if node.legend is not None or previous is None else previous[1]
        nodes[key] = (previous[0] if previous else label, legend)
    edges: dict[EdgeKey, str] = {}
    for edge in diagram.edges:
        ends = []
        for node_id in (edge.source, edge.target):
            if node_id not in keys:  # an edge to an undeclared node: its id is its label
                keys[node_id] = normalise_key(node_id) or node_id
                nodes.setdefault(keys[node_id], (node_id, None))
            ends.append(keys[node_id])
        label = collapse(edge.label)
        edges.setdefault((ends[0], ends[1], normalise_key(label)), label)
    return _Graph(nodes, edges)


def _relabelled(key: str, old: _Graph, new: _Graph) -> bool:
    if key not in old.nodes or key not in new.nodes:
        return False
    return normalise_key(old.nodes[key][0]) != normalise_key(new.nodes[key][0])


def _incident(edges: dict[EdgeKey, str], key: str) -> set[EdgeKey]:
    return {edge for edge in edges if key in (edge[0], edge[1])}


def _legend_changed(old: Legend | None, new: Legend | None) -> bool:
    """A legend change that says something: not ``new`` ageing into ``unchanged`` next phase."""
    return new != old and new not in (None, Legend.UNCHANGED)


def _compared(diagram: Diagram) -> bool:
    """Only mermaid (or no diagram) has nodes: an ASCII drawing must not read as "all removed"."""
    return diagram.kind in ("", "mermaid") or bool(diagram.nodes)


def drift_mermaid(base: Diagram, head: Diagram) -> str | None:
    """The union graph of ``base`` and ``head`` as mermaid source; None when nothing moved.

    A node only in head is new, only in base is removed (as is one that head
    draws in the deprecated colour); a node in both whose edges changed, or
    whose legend now says new or modified, is modified.  Edges only in head
    are new, only in base are removed and drawn dotted.
    """
    if not (_compared(base) and _compared(head)):
        return None
    match = match_nodes(base.nodes, head.nodes)
    old, new = _graph(base, match.old_identity), _graph(head, match.new_identity)
    relabelled = any(_relabelled(key, old, new) for key in new.nodes)
    if set(old.nodes) == set(new.nodes) and set(old.edges) == set(new.edges) and not relabelled:
        return None

    keys = sorted(set(old.nodes) | set(new.nodes))
    position = {key: index for index, key in enumerate(keys)}
    ids = {key: f"n{index + 1}" for key, index in position.items()}
    classes: dict[str, list[str]] = {"added": [], "modified": [], "deprecated": []}
    lines = ["graph TB"]
    for key in keys:
        label = (new.nodes.get(key) or old.nodes[key])[0]
        lines.append(f"    {ids[key]}[{mermaid_label(label)}]")
        style = _node_class(key, old, new)
        if style:
            classes[style].append(ids[key])

    added_links: list[int] = []
    removed_links: list[int] = []
    all_edges = sorted(
        set(old.edges) | set(new.edges),
        key=lambda e: (position[e[0]], position[e[1]], e[2]),
    )
    for index, edge in enumerate(all_edges):
        removed = edge not in new.edges
        label = new.edges.get(edge, old.edges.get(edge, ""))
        arrow = "-.->" if removed else "-->"
        text = f"|{mermaid_label(label)}|" if label else ""
        lines.append(f"    {ids[edge[0]]} {arrow}{text} {ids[edge[1]]}")
        if removed:
            removed_links.append(index)
        elif edge not in old.edges:
            added_links.append(index)

    fills = {"added": NEW_FILL, "modified": MODIFIED_FILL, "deprecated": DEPRECATED_FILL}
    for name, members in classes.items():
        if members:
            lines.append(f"    classDef {name} fill:{fills[name]}")
            lines.append(f"    class {','.join(members)} {name}")
    if added_links:
        lines.append(f"    linkStyle {','.join(map(str, added_links))} stroke:{NEW_FILL}")
    if removed_links:
        lines.append(f"    linkStyle {','.join(map(str, removed_links))} stroke:{DEPRECATED_FILL}")
    return "\n".join(lines) + "\n"


def _node_class(key: str, old: _Graph, new: _Graph) -> str | None:
    if key not in old.nodes:
        return "added"
    if key not in new.nodes:
        return "deprecated"
    old_legend, new_legend = old.nodes[key][1], new.nodes[key][1]
    if new_legend is Legend.DEPRECATED:
        return "deprecated"
    if (
        _incident(old.edges, key) != _incident(new.edges, key)
        or _legend_changed(old_legend, new_legend)
        or _relabelled(key, old, new)
    ):
        return "modified"
    return None
