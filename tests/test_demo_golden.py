"""Golden files pin what a user sees for the demo's ``phasediff 2 3`` in every format.

Regenerate with ``PHASEDIFF_UPDATE_GOLDEN=1 pytest tests/test_demo_golden.py``
and read the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from phasediff.cli import main
from phasediff.render import Format

GOLDEN = Path(__file__).parent / "golden" / "demo"
SUFFIX = {Format.TEXT: "txt", Format.MARKDOWN: "md", Format.JSON: "json", Format.GITHUB: "github"}


@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.value)
def test_phase_2_to_3(demo_repo: Path, fmt: Format) -> None:
    result = CliRunner().invoke(
        main, ["2", "3", "--format", fmt.value, "--repo", str(demo_repo)], env={"NO_COLOR": "1"}
    )
    assert result.exit_code == 0, result.stderr
    golden = GOLDEN / f"phase-2-3.{SUFFIX[fmt]}"
    if os.environ.get("PHASEDIFF_UPDATE_GOLDEN") or not golden.exists():
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")
