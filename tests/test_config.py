"""Settings from ``pyproject.toml`` / ``.phasediff.toml``: values, precedence, and errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from phasediff.config import (
    DEFAULT_EXCLUDE,
    DEFAULT_GLOBS,
    DEFAULT_REQUIRED_SECTIONS,
    Config,
    load_config,
)
from phasediff.errors import EXIT_USAGE, ConfigError

FULL = """\
globs = ["architecture/*/DESIGN.md"]
exclude = ["**/drafts/**"]
required_sections = ["overview", "components"]
accept_file = "ci/accepted.yaml"

[rules]
component-removed = "warning"
env-required = "off"

[renames]
Promtail = "Grafana Alloy"
"Old API" = "API Gateway"
"""


def _pyproject(root: Path, body: str) -> None:
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n\n' + body, encoding="utf-8")


def _under_tool(body: str) -> str:
    """``FULL`` moved under ``[tool.phasediff]``."""
    return "[tool.phasediff]\n" + body.replace("[rules]", "[tool.phasediff.rules]").replace(
        "[renames]", "[tool.phasediff.renames]"
    )


def test_defaults_without_any_settings(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config == Config()
    assert config.globs == DEFAULT_GLOBS
    assert (
        config.exclude == DEFAULT_EXCLUDE == ("**/template/**", "**/templates/**", "**/*TEMPLATE*")
    )
    assert config.required_sections == DEFAULT_REQUIRED_SECTIONS
    assert dict(config.rules) == {}
    assert config.renames == ()
    assert config.accept_file == ".phasediff-accept.yaml"
    assert config.source is None


def test_pyproject_without_a_phasediff_table_gives_defaults(tmp_path: Path) -> None:
    _pyproject(tmp_path, "[tool.ruff]\nline-length = 100\n")
    assert load_config(tmp_path) == Config()


def test_pyproject_settings_are_read(tmp_path: Path) -> None:
    _pyproject(tmp_path, _under_tool(FULL))
    config = load_config(tmp_path)
    assert config.globs == ("architecture/*/DESIGN.md",)
    assert config.exclude == ("**/drafts/**",)
    assert config.required_sections == ("overview", "components")
    assert dict(config.rules) == {"component-removed": "warning", "env-required": "off"}
    assert config.renames == (("Promtail", "Grafana Alloy"), ("Old API", "API Gateway"))
    assert config.accept_file == "ci/accepted.yaml"
    assert config.source == "pyproject.toml"


def test_config_is_an_immutable_value(tmp_path: Path) -> None:
    _pyproject(tmp_path, _under_tool(FULL))
    config = load_config(tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.globs = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.rules["x"] = "off"  # type: ignore[index]
    assert config == load_config(tmp_path)
    assert hash(config) == hash(load_config(tmp_path))


def test_hyphenated_keys_are_accepted(tmp_path: Path) -> None:
    _pyproject(
        tmp_path,
        '[tool.phasediff]\nrequired-sections = ["overview"]\naccept-file = "a.yaml"\n',
    )
    config = load_config(tmp_path)
    assert config.required_sections == ("overview",)
    assert config.accept_file == "a.yaml"


@pytest.mark.parametrize("body", [FULL, _under_tool(FULL)], ids=["top-level", "tool-table"])
def test_dotfile_wins_over_pyproject_in_either_layout(tmp_path: Path, body: str) -> None:
    _pyproject(tmp_path, '[tool.phasediff]\nglobs = ["ignored/*.md"]\nbogus = 1\n')
    (tmp_path / ".phasediff.toml").write_text(body, encoding="utf-8")
    config = load_config(tmp_path)
    assert config.globs == ("architecture/*/DESIGN.md",)
    assert config.renames[0] == ("Promtail", "Grafana Alloy")
    assert config.source == ".phasediff.toml"


# -- errors: one line, naming the file, the key and what is allowed ---------------


def _error(tmp_path: Path, body: str, *, dotfile: bool = False) -> str:
    if dotfile:
        (tmp_path / ".phasediff.toml").write_text(body, encoding="utf-8")
    else:
        _pyproject(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert caught.value.exit_code == EXIT_USAGE
    return message


def test_wrong_type_names_file_key_and_value(tmp_path: Path) -> None:
    assert _error(tmp_path, "[tool.phasediff]\nglobs = 3\n") == (
        "pyproject.toml: [tool.phasediff] globs must be a list of strings, got 3."
    )
    assert _error(tmp_path, 'globs = ["a", 2]\n', dotfile=True) == (
        '.phasediff.toml: globs must be a list of strings, got ["a", 2].'
    )


def test_unknown_key_lists_the_known_ones(tmp_path: Path) -> None:
    assert _error(tmp_path, '[tool.phasediff]\nglob = ["x"]\n') == (
        "pyproject.toml: [tool.phasediff] unknown key 'glob'. Did you mean globs? "
        "Known keys: accept_file, exclude, globs, renames, required_sections, rules, template."
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '[tool.phasediff.rules]\ncomponent-removed = "fatal"\n',
            "pyproject.toml: [tool.phasediff.rules] component-removed must be one of "
            '"off", "breaking", "warning", "info", "error", got "fatal".',
        ),
        (
            '[tool.phasediff]\nrules = ["off"]\n',
            "pyproject.toml: [tool.phasediff] rules must be a table of rule = level, "
            'e.g. { component-removed = "warning" }; got ["off"].',
        ),
        (
            '[tool.phasediff]\nrequired_sections = ["overview", "diagrams"]\n',
            'pyproject.toml: [tool.phasediff] required_sections has unknown section "diagrams". '
            "Known sections: overview, whats_new, diagram, components, integration, data_flow, "
            "security, deployment, metrics, traces, logs, dashboards, env, config_files, "
            "testing, rollback, limitations, success_criteria, references, document.",
        ),
        (
            "[tool.phasediff.renames]\nPromtail = 3\n",
            'pyproject.toml: [tool.phasediff.renames] "Promtail" must be the new name as a '
            "string, got 3.",
        ),
        (
            '[tool.phasediff.renames]\nLoki = "loki"\n',
            'pyproject.toml: [tool.phasediff.renames] renames "Loki" to itself.',
        ),
        (
            "[tool.phasediff]\nglobs = []\n",
            "pyproject.toml: [tool.phasediff] globs must list at least one pattern, "
            'e.g. ["docs/phase-*/ARCHITECTURE.md"].',
        ),
        (
            '[tool.phasediff]\nexclude = ["/docs/old/**"]\n',
            "pyproject.toml: [tool.phasediff] exclude patterns are relative to the repository "
            'root; got "/docs/old/**". Drop the leading "/".',
        ),
        (
            "[tool.phasediff]\naccept_file = true\n",
            "pyproject.toml: [tool.phasediff] accept_file must be a file path string, got true.",
        ),
        (
            '[tool]\nphasediff = "on"\n',
            'pyproject.toml: [tool.phasediff] must be a table, got "on".',
        ),
        (
            '[tool.phasediff]\naccept_file = "a"\naccept-file = "b"\n',
            "pyproject.toml: [tool.phasediff] accept_file is given twice "
            "('accept-file' and another spelling).",
        ),
    ],
)
def test_bad_values(tmp_path: Path, body: str, expected: str) -> None:
    assert _error(tmp_path, body) == expected


def test_broken_toml_names_the_file_and_where(tmp_path: Path) -> None:
    message = _error(tmp_path, "[tool.phasediff\nglobs = [\n")
    assert message.startswith("pyproject.toml is not valid TOML: ")
    assert "line 4" in message
    assert message.endswith("Fix its syntax.")
    (tmp_path / ".phasediff.toml").write_text("globs = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^\.phasediff\.toml is not valid TOML"):
        load_config(tmp_path)


def test_dotfile_layout_errors(tmp_path: Path) -> None:
    both = 'globs = ["a/*.md"]\n[tool.phasediff]\nexclude = []\n'
    assert _error(tmp_path, both, dotfile=True) == (
        ".phasediff.toml: settings both at top level (globs) and under [tool.phasediff]. "
        "Put them in one place."
    )
    other = "[tool.ruff]\nline-length = 1\n"
    assert _error(tmp_path, other, dotfile=True) == (
        ".phasediff.toml: unexpected table [tool.ruff]. This file holds phasediff settings only."
    )
    unknown = '[tool.phasediff]\nexclude = []\nsections = ["overview"]\n'
    assert _error(tmp_path, unknown, dotfile=True).startswith(
        ".phasediff.toml: [tool.phasediff] unknown key 'sections'."
    )


def test_the_template_setting_is_a_path_in_the_repository(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.phasediff]\ntemplate = "docs/templates/ARCHITECTURE-TEMPLATE.md"\n', encoding="utf-8"
    )
    assert load_config(tmp_path).template == "docs/templates/ARCHITECTURE-TEMPLATE.md"
    assert "must be a path inside the repository" in _error(
        tmp_path, '[tool.phasediff]\ntemplate = "../elsewhere.md"\n'
    )


# -- hostile settings files ------------------------------------------------------------------


def test_a_non_utf8_pyproject_is_one_line_without_its_bytes(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b'[project]\nname = "s\xe9cret-token-value"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    message = str(caught.value)
    assert message == "pyproject.toml is not UTF-8 (line 2). Re-save it as UTF-8."
    assert "cret" not in message


def test_toml_nested_too_deeply_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / ".phasediff.toml").write_text("globs = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ConfigError, match="nests tables or arrays too deeply"):
        load_config(tmp_path)


def test_a_settings_file_linked_to_a_device_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".phasediff.toml").symlink_to("/dev/zero")
    with pytest.raises(ConfigError):
        load_config(tmp_path)
