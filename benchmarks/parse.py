"""Parse time per document at about 6 KB, 20 KB and 30 KB, and the share markdown-it-py takes.

Run: ``python benchmarks/parse.py [--repeat N]``.  Prints medians of N runs
measured side by side in one process, and their ratios, so figures from a
noisy shared machine still compare.  The 6 KB document is the template; the
20 KB one the demo's phase 3; the 30 KB one phase 3 with its component
details repeated under new names.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from phasediff.changes import Side
from phasediff.diff import diff_documents
from phasediff.markdown import parse_markdown
from phasediff.parse import parse_document
from phasediff.text import normalise_key, plain

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT.parent / "shared" / "template" / "ARCHITECTURE-TEMPLATE.md"
DEMO = ROOT / "fixtures" / "demo"


def _documents() -> dict[str, str]:
    docs: dict[str, str] = {}
    if TEMPLATE.exists():
        docs["template"] = TEMPLATE.read_text(encoding="utf-8")
    else:
        docs["template"] = (DEMO / "files" / "ARCHITECTURE-TEMPLATE.md").read_text(encoding="utf-8")
    phase3 = (DEMO / "phase-3" / "v4.md").read_text(encoding="utf-8")
    docs["phase-3"] = phase3
    details = phase3.split("## Component Details", 1)[1].split("\n## ", 1)[0]
    extra = details.replace("### Component ", "### Component 1")
    docs["phase-3-large"] = phase3.replace(
        "## Integration with Previous", extra + "\n## Integration with Previous", 1
    )
    return docs


def _median_ms(action: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        # Each run starts with empty text caches, as a document never seen before would.
        plain.cache_clear()
        normalise_key.cache_clear()
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30, help="runs per measurement")
    args = parser.parse_args()
    side = Side(None, None, "doc.md")
    print(
        f"{'document':<15} {'KB':>6} {'parse ms':>9} {'markdown-it ms':>15} {'share':>6} "
        f"{'self-diff ms':>13}"
    )
    for name, text in _documents().items():
        size = len(text.encode("utf-8")) / 1024
        parse_document(text)  # warm imports and regex caches
        whole = _median_ms(lambda text=text: parse_document(text), args.repeat)  # type: ignore[misc]
        generic = _median_ms(lambda text=text: parse_markdown(text), args.repeat)  # type: ignore[misc]
        doc = parse_document(text)
        self_diff = _median_ms(lambda doc=doc: diff_documents(doc, doc, side, side), args.repeat)  # type: ignore[misc]
        print(
            f"{name:<15} {size:>6.1f} {whole:>9.2f} {generic:>15.2f} {generic / whole:>6.0%} "
            f"{self_diff:>13.2f}"
        )


if __name__ == "__main__":
    main()
