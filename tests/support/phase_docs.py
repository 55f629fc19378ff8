"""Small phase documents for tests that need real drift: components and required env vars."""

from __future__ import annotations


def document(phase: str, components: list[str], env: list[str], *, title: str = "Tracing") -> str:
    """A small phase document: its components, and one required env var per name."""
    parts = [
        f"# Phase {phase} Architecture: {title}",
        "",
        "## Overview",
        "",
        f"**Phase:** {phase}",
        "**Status:** 🚧 In Progress",
        "",
        "## Component Details",
        "",
    ]
    for index, name in enumerate(components, 1):
        parts += [
            f"### Component {index}: {name}",
            "",
            f"**Purpose:** Runs {name}.",
            "",
            f"**Technology:** {name} 1.0",
            "",
        ]
    parts += [
        "## Configuration Management",
        "",
        "### Environment Variables",
        "",
        "| Variable | Default | Purpose | Required |",
        "|----------|---------|---------|----------|",
    ]
    parts += [f"| `{name}` | `x` | Used by {name} | Yes |" for name in env]
    return "\n".join(parts) + "\n"


PHASE_2 = document("2", ["Loki", "Promtail"], ["LOKI_URL"], title="Logging")
PHASE_3 = document("3", ["Tempo", "Promtail"], ["TEMPO_URL", "PROMTAIL_LOKI_URL"])
PHASE_3_NO_PROMTAIL = document("3", ["Tempo"], ["TEMPO_URL"])
