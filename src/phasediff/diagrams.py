"""Which node of one diagram is which node of another.

A mermaid id is what an author keeps when rewording a node (``RX["Stop before
artifact"]`` -> ``RX["Stop before artifacts"]``), and a label is what stays when
the ids are renumbered; two documents, or two phases, may also reuse an id
(``A``) for different things.  So nodes pair up in three passes: same id and
same label, then same label under another id, then same id under another label
(a relabel).  What is left was removed or added.  The diff and the drift graph
both match this way, so they tell the same story.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from phasediff.model import Diagram, Node
from phasediff.text import normalise_key


def node_key(node: Node) -> str:
    """A node's label as an identity: case, markup and spacing do not count."""
    return normalise_key(node.label) or normalise_key(node.id) or node.id


@dataclass(frozen=True)
class NodeMatch:
    """Matched, removed and added nodes, and each node's identity (shared by a pair)."""

    pairs: tuple[tuple[Node, Node], ...]
    removed: tuple[Node, ...]
    added: tuple[Node, ...]
    old_identity: dict[str, str]  # old node id -> identity
    new_identity: dict[str, str]  # new node id -> identity


def match_nodes(old: Iterable[Node], new: Iterable[Node]) -> NodeMatch:
    """Pair ``old`` and ``new`` nodes by id and label (see the module's docstring)."""
    old_left = {node.id: node for node in old}
    new_left = {node.id: node for node in new}
    pairs: list[tuple[Node, Node]] = []

    def pair(before: Node, after: Node) -> None:
        pairs.append((before, after))
        del old_left[before.id], new_left[after.id]

    for node_id in sorted(old_left.keys() & new_left.keys()):
        if node_key(old_left[node_id]) == node_key(new_left[node_id]):
            pair(old_left[node_id], new_left[node_id])
    by_label: dict[str, Node] = {}
    for node in sorted(old_left.values(), key=lambda n: n.id):
        by_label.setdefault(node_key(node), node)
    for node in sorted(new_left.values(), key=lambda n: n.id):
        found = by_label.pop(node_key(node), None)
        if found is not None:
            pair(found, node)
    for node_id in sorted(old_left.keys() & new_left.keys()):
        pair(old_left[node_id], new_left[node_id])
    old_identity = {before.id: node_key(after) for before, after in pairs}
    new_identity = {after.id: node_key(after) for _, after in pairs}
    old_identity.update((node.id, node_key(node)) for node in old_left.values())
    new_identity.update((node.id, node_key(node)) for node in new_left.values())
    return NodeMatch(
        pairs=tuple(sorted(pairs, key=lambda p: node_key(p[1]))),
        removed=tuple(sorted(old_left.values(), key=node_key)),
        added=tuple(sorted(new_left.values(), key=node_key)),
        old_identity=old_identity,
        new_identity=new_identity,
    )


def edge_labels(diagram: Diagram, identity: dict[str, str]) -> dict[tuple[str, str], set[str]]:
    """The diagram's edges between identities, each with the labels drawn on it.

    Every end of a parsed edge is a node; an edge to a node left out of
    ``identity`` (one drawn as deprecated, between phases) is left out too.
    """
    found: dict[tuple[str, str], set[str]] = {}
    for edge in diagram.edges:
        if edge.source in identity and edge.target in identity:
            ends = (identity[edge.source], identity[edge.target])
            found.setdefault(ends, set()).add(edge.label)
    return found
