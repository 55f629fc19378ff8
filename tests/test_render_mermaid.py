"""The drift graph: base and head diagrams merged by label, styled, with stable ids."""

from __future__ import annotations

from collections.abc import Sequence

from phasediff.model import Diagram, Edge, Legend, Node
from phasediff.parse import parse_mermaid
from phasediff.render.mermaid import drift_mermaid, mermaid_label
from tests.test_render_samples import PHASE_2, PHASE_3, assert_golden, doc


def diagram(
    nodes: Sequence[tuple[str, str, Legend | None]], edges: Sequence[tuple[str, str]]
) -> Diagram:
    return Diagram(
        kind="mermaid",
        nodes=tuple(Node(node_id, label, legend) for node_id, label, legend in nodes),
        edges=tuple(Edge(source, target) for source, target in edges),
    )


def test_phase_2_to_3_golden() -> None:
    drift = drift_mermaid(doc(PHASE_2).diagram, doc(PHASE_3).diagram)
    assert drift is not None
    assert_golden("drift-2-3.mmd", drift)


def test_same_nodes_and_edges_give_none() -> None:
    base = diagram([("A", "Loki", Legend.NEW), ("B", "Grafana", None)], [("A", "B")])
    # Other ids, other case, other legend, other order: the same architecture.
    head = diagram([("y", "grafana", None), ("x", "`LOKI`", Legend.UNCHANGED)], [("x", "y")])
    assert drift_mermaid(base, head) is None
    assert drift_mermaid(Diagram(), Diagram()) is None


def test_nodes_match_by_label_not_id() -> None:
    base = diagram([("A", "Loki", None), ("B", "Promtail", None)], [("B", "A")])
    head = diagram([("A", "Grafana Alloy", None), ("B", "Loki", None)], [("A", "B")])
    drift = drift_mermaid(base, head)
    assert drift == (
        "graph TB\n"
        '    n1["Grafana Alloy"]\n'
        '    n2["Loki"]\n'
        '    n3["Promtail"]\n'
        "    n1 --> n2\n"
        "    n3 -.-> n2\n"
        "    classDef added fill:#90EE90\n"
        "    class n1 added\n"
        "    classDef modified fill:#87CEEB\n"
        "    class n2 modified\n"
        "    classDef deprecated fill:#FFB6C1\n"
        "    class n3 deprecated\n"
        "    linkStyle 0 stroke:#90EE90\n"
        "    linkStyle 1 stroke:#FFB6C1\n"
    )


def test_ids_do_not_depend_on_source_order() -> None:
    nodes = [("a", "Zeta", None), ("b", "Alpha", None), ("c", "Mu", None)]
    base = diagram(nodes[:2], [("a", "b")])
    head_one = diagram(nodes, [("a", "b"), ("c", "a")])
    head_two = diagram(list(reversed(nodes)), [("c", "a"), ("a", "b")])
    first = drift_mermaid(base, head_one)
    assert first is not None and first == drift_mermaid(base, head_two)
    assert '    n1["Alpha"]\n    n2["Mu"]\n    n3["Zeta"]\n' in first


def test_legend_change_marks_modified_but_ageing_does_not() -> None:
    base = diagram([("a", "Loki", Legend.NEW), ("b", "Grafana", None), ("c", "Tempo", None)], [])
    aged = diagram(
        [
            ("a", "Loki", Legend.UNCHANGED),
            ("b", "Grafana", Legend.MODIFIED),
            ("c", "Tempo", None),
            ("d", "Mimir", None),
        ],
        [],
    )
    drift = drift_mermaid(base, aged)
    assert drift is not None
    assert "class n1 modified\n" in drift  # Grafana: now declared modified
    assert "class n3 added\n" in drift  # Mimir
    assert "n2" not in drift.split("classDef", 1)[1]  # Loki: new -> unchanged is just time


def test_head_drawing_a_node_as_deprecated_styles_it_deprecated() -> None:
    base = diagram([("p", "Promtail", None), ("l", "Loki", None)], [("p", "l")])
    head = diagram([("p", "Promtail", Legend.DEPRECATED), ("l", "Loki", None)], [])
    drift = drift_mermaid(base, head)
    assert drift is not None
    assert "class n2 deprecated" in drift
    assert "n2 -.-> n1" in drift


def test_labels_are_quoted_and_escaped() -> None:
    assert mermaid_label('say "hi" <b>#1</b> `x` | y') == (
        '"say #34;hi#34; #60;b#62;#35;1#60;/b#62; #96;x#96; #124; y"'
    )
    base = diagram([("a", "A", None)], [])
    head = Diagram(
        kind="mermaid",
        nodes=(Node("a", "A"), Node("b", 'B "quoted"')),
        edges=(Edge("a", "b", "logs|push"),),
    )
    drift = drift_mermaid(base, head)
    assert drift is not None
    assert '    n2["B #34;quoted#34;"]\n' in drift
    assert '    n1 -->|"logs#124;push"| n2\n' in drift


def test_output_parses_back_to_the_union() -> None:
    """The drift graph is itself a diagram phasediff reads: same labels, legend by colour."""
    drift = drift_mermaid(doc(PHASE_2).diagram, doc(PHASE_3).diagram)
    assert drift is not None
    # parse_mermaid does not know ``linkStyle`` yet (it reads it as a node): drop those lines.
    source = "\n".join(line for line in drift.splitlines() if "linkStyle" not in line)
    union = parse_mermaid(source, 0)
    labels = {node.label: node.legend for node in union.nodes}
    assert labels == {
        "Alertmanager": Legend.MODIFIED,
        "Grafana": None,
        "Grafana Alloy": Legend.NEW,
        "Loki": Legend.MODIFIED,
        "Promtail": Legend.DEPRECATED,
    }
    assert len(union.edges) == 5


def test_ascii_diagram_is_not_everything_removed() -> None:
    base = diagram([("a", "Loki", None)], [])
    assert drift_mermaid(base, Diagram(kind="ascii", text="[Loki] --> [Grafana]")) is None
    added = drift_mermaid(Diagram(), base)
    assert added is not None and "class n1 added" in added


def test_edges_to_undeclared_nodes_use_the_id() -> None:
    base = Diagram(kind="mermaid", nodes=(Node("a", "A"),))
    head = Diagram(kind="mermaid", nodes=(Node("a", "A"),), edges=(Edge("a", "ghost"),))
    drift = drift_mermaid(base, head)
    assert drift is not None and 'n2["ghost"]' in drift
