"""Node matching between two diagrams: id and label, then label, then id."""

from __future__ import annotations

from phasediff.diagrams import edge_labels, match_nodes
from phasediff.model import Diagram, Edge, Node


def _ids(pairs: tuple[tuple[Node, Node], ...]) -> set[tuple[str, str]]:
    return {(before.id, after.id) for before, after in pairs}


def test_a_relabel_under_the_same_id_is_one_pair() -> None:
    match = match_nodes([Node("R", "Stop early")], [Node("R", "Stop before writing")])
    assert _ids(match.pairs) == {("R", "R")}
    assert (match.removed, match.added) == ((), ())


def test_a_label_under_a_new_id_is_the_same_node() -> None:
    match = match_nodes([Node("A", "Loki")], [Node("loki", "`LOKI`")])
    assert _ids(match.pairs) == {("A", "loki")}


def test_a_reused_id_does_not_beat_a_label_found_elsewhere() -> None:
    # Phase 1 draws A as the store; phase 2 redraws the store as B and reuses A for a new node.
    old = [Node("A", "Store"), Node("B", "Reader")]
    new = [Node("A", "Cache"), Node("B", "Store")]
    match = match_nodes(old, new)
    assert _ids(match.pairs) == {("A", "B")}
    # "Reader" (B) and "Cache" (A) share no id left over: one went, the other came.
    assert [n.label for n in match.removed] == ["Reader"]
    assert [n.label for n in match.added] == ["Cache"]


def test_edges_of_a_relabelled_node_are_unchanged() -> None:
    old = Diagram("mermaid", (Node("A", "In"), Node("B", "Out")), (Edge("A", "B", "x"),))
    new = Diagram("mermaid", (Node("A", "In"), Node("B", "Output")), (Edge("A", "B", "x"),))
    match = match_nodes(old.nodes, new.nodes)
    assert edge_labels(old, match.old_identity) == edge_labels(new, match.new_identity)
