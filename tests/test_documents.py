"""Phase discovery: globs, phase ids, ordering, lookup and text decoding."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from phasediff.config import Config
from phasediff.documents import (
    DocumentRef,
    SourceDocument,
    declared_phase,
    discover,
    discovery_hints,
    find_phase,
    is_candidate,
    known_phases,
    load_text,
    pathspecs,
    phase_from_path,
    phase_from_text,
    phase_key,
    phase_of,
    phase_sort_key,
    read_document,
)
from phasediff.errors import DocumentError, UnknownPhaseError
from phasediff.gitrepo import Repository
from phasediff.globs import compile_glob

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder

DEFAULT = Config()


@pytest.fixture
def opened() -> Iterator[Callable[[GitRepoBuilder], Repository]]:
    repos: list[Repository] = []

    def open_(builder: GitRepoBuilder) -> Repository:
        repos.append(Repository.open(builder.root))
        return repos[-1]

    yield open_
    for repo in repos:
        repo.close()


def _doc(phase_field: str | None = None, title: str = "Architecture") -> str:
    field = (
        f"\n## Overview\n\n**Phase:** {phase_field}\n**Status:** Planned\n" if phase_field else ""
    )
    return f"# {title}\n{field}\n## What's New\n\n- [ ] something\n"


# -- globs ------------------------------------------------------------------------

LAYOUTS = [
    ("docs/phase-1/ARCHITECTURE.md", "1"),
    ("docs/phase1/ARCHITECTURE.md", "1"),
    ("docs/Phase-2/ARCHITECTURE.md", "2"),
    ("docs/phase-2.5/ARCHITECTURE.md", "2.5"),
    ("docs/phase-1-docker-compose/ARCHITECTURE.md", "1"),
    ("docs/phases/phase-3/ARCHITECTURE.md", "3"),
    ("docs/architecture/phase-3.md", "3"),
    ("docs/phase-mvp/ARCHITECTURE.md", "mvp"),
    ("docs/phase_4/architecture.md", "4"),
]
NOT_DOCUMENTS = [
    "docs/phase-2/RUNBOOK.md",
    "docs/templates/ARCHITECTURE-TEMPLATE.md",
    "docs/template/phase-1/ARCHITECTURE.md",
    "docs/phase-2/ARCHITECTURE-TEMPLATE.md",
    "templates/phase-x/ARCHITECTURE.md",
    "docs/phase-2/old/ARCHITECTURE.md",
    "docs/architecture/overview.md",
    "ARCHITECTURE.md",
]


@pytest.mark.parametrize(("path", "phase"), LAYOUTS)
def test_default_globs_find_the_common_layouts(path: str, phase: str) -> None:
    assert is_candidate(path, DEFAULT)
    assert phase_from_path(path) == phase


@pytest.mark.parametrize("path", NOT_DOCUMENTS)
def test_default_globs_skip_runbooks_templates_and_strays(path: str) -> None:
    assert not is_candidate(path, DEFAULT)


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("docs/*.md", "docs/a.md", True),
        ("docs/*.md", "docs/sub/a.md", False),  # "*" stays in one component
        ("**/a.md", "a.md", True),  # "**/" matches zero directories
        ("**/a.md", "x/y/z/a.md", True),
        ("docs/**/a.md", "docs/a.md", True),
        ("docs/**/a.md", "docs/x/y/a.md", True),
        ("docs/**/a.md", "docsx/a.md", False),
        ("docs/**", "docs/x/y.md", True),
        ("docs/**", "other/x.md", False),
        ("**", "any/thing.md", True),
        ("docs/phase-?/A.md", "docs/phase-1/A.md", True),
        ("docs/phase-?/A.md", "docs/phase-10/A.md", False),
        ("docs/phase-[0-9]/A.md", "docs/phase-7/A.md", True),
        ("docs/phase-[!0-9]/A.md", "docs/phase-x/A.md", True),
        ("docs/phase-[!0-9]/A.md", "docs/phase-7/A.md", False),
        ("docs/a**b.md", "docs/aXXb.md", True),  # "**" inside a component is "*"
        ("docs/a**b.md", "docs/a/b.md", False),
        ("docs/[ab.md", "docs/[ab.md", True),  # unterminated class: literal
        ("docs/x+(1).md", "docs/x+(1).md", True),  # regex metacharacters are literal
        ("DOCS/Phase-*/architecture.md", "docs/phase-1/ARCHITECTURE.md", True),  # icase
    ],
)
def test_glob_semantics(pattern: str, path: str, expected: bool) -> None:
    assert compile_glob(pattern).fullmatch(path) is expected


def test_globs_select_what_git_selects(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    """Discovery (our matcher) and history (git's pathspecs) must agree on every file."""
    paths = [path for path, _ in LAYOUTS] + NOT_DOCUMENTS + ["docs/phase 9/ARCHITECTURE.md"]
    for path in paths:
        git_repo.write(path, _doc())
    git_repo.commit("everything")
    repo = opened(git_repo)
    ours = {path for path in repo.list_files("HEAD") if is_candidate(path, DEFAULT)}
    (entry,) = repo.log(pathspecs(DEFAULT), None, "HEAD")
    assert {change.path for change in entry.changes} == ours
    assert "docs/phase 9/ARCHITECTURE.md" in ours


# -- phase ids --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "phase"),
    [
        ("docs/phase-1-docker-compose/ARCHITECTURE.md", "1"),
        ("docs/phase1/ARCHITECTURE.md", "1"),
        ("docs/Phase-2/ARCHITECTURE.md", "2"),
        ("docs/phase-2.5/ARCHITECTURE.md", "2.5"),
        ("docs/phase-mvp/ARCHITECTURE.md", "mvp"),
        ("docs/phase-03/ARCHITECTURE.md", "3"),
        ("docs/phase-10b/ARCHITECTURE.md", "10b"),
        ("docs/architecture/phase-3.md", "3"),
        ("docs/phases/ARCHITECTURE.md", None),
        ("docs/phase/ARCHITECTURE.md", None),
    ],
)
def test_phase_from_path(path: str, phase: str | None) -> None:
    assert phase_from_path(path) == phase


@pytest.mark.parametrize(
    ("value", "phase"),
    [
        ("3", "3"),
        ("3 (Tracing)", "3"),
        ("**3**", "3"),
        ("`2.5`", "2.5"),
        ("_4_", "4"),
        ("MVP", "MVP"),
        ("Phase 6 - Hardening", "6"),
        ("X", None),
        ("N", None),
        ("[X]", None),
        ("[Phase number]", None),
        ("X (Name)", None),
    ],
)
def test_phase_from_text(value: str, phase: str | None) -> None:
    assert phase_from_text(_doc(value)) == phase


def test_phase_field_variants_and_reach() -> None:
    assert phase_from_text("# T\n\n**Phase**: 7\n") == "7"
    assert phase_from_text("# T\n\n- **Phase:** 8\n") == "8"
    assert phase_from_text("# T\n\n**Previous Phase:** 2\n") is None
    assert phase_from_text("\n" * 70 + "**Phase:** 9\n") is None  # only the first 60 lines


def test_natural_order() -> None:
    phases = ["10", "mvp", "2.10", "2", "1", "2.5", "Beta", "2.9", "1b"]
    assert sorted(phases, key=phase_sort_key) == [
        "1",
        "1b",
        "2",
        "2.5",
        "2.9",
        "2.10",
        "10",
        "Beta",
        "mvp",
    ]


def test_phase_ids_compare_case_insensitively_and_without_prefix() -> None:
    assert phase_key("MVP") == phase_key("mvp")
    assert phase_key("Phase-3") == phase_key("phase3") == phase_key("03") == "3"
    assert phase_key("2.5") != phase_key("25")


# -- discovery --------------------------------------------------------------------


def test_discover_sorts_by_phase_and_lets_the_phase_field_win(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    git_repo.write("docs/phase-10/ARCHITECTURE.md", _doc())
    git_repo.write("docs/phase-2/ARCHITECTURE.md", _doc())
    git_repo.write("docs/phase-2/RUNBOOK.md", _doc("2"))
    git_repo.write("docs/phase-2.5/ARCHITECTURE.md", _doc())
    git_repo.write("docs/phases/phase-mvp/ARCHITECTURE.md", _doc("MVP (pilot)"))
    git_repo.write("docs/phase-1-docker-compose/ARCHITECTURE.md", _doc("`1`"))
    git_repo.write("docs/phase-4/ARCHITECTURE.md", _doc("X"))  # unfilled field: path decides
    git_repo.write("docs/phase-x/ARCHITECTURE.md", _doc("X"))  # the template itself
    git_repo.write("docs/templates/ARCHITECTURE-TEMPLATE.md", _doc("X"))
    git_repo.write("docs/architecture/phase-7.md", _doc("3"))  # the field wins over the name
    git_repo.commit()
    repo = opened(git_repo)

    refs = discover(repo, "HEAD", DEFAULT)
    assert [(ref.phase, ref.path) for ref in refs] == [
        ("1", "docs/phase-1-docker-compose/ARCHITECTURE.md"),
        ("2", "docs/phase-2/ARCHITECTURE.md"),
        ("2.5", "docs/phase-2.5/ARCHITECTURE.md"),
        ("3", "docs/architecture/phase-7.md"),
        ("4", "docs/phase-4/ARCHITECTURE.md"),
        ("10", "docs/phase-10/ARCHITECTURE.md"),
        ("MVP", "docs/phases/phase-mvp/ARCHITECTURE.md"),
    ]
    assert all(ref.rev == "HEAD" for ref in refs)
    assert refs[0].blob == git_repo.blob("HEAD", refs[0].path)
    assert find_phase(refs, "mvp").phase == "MVP"
    assert find_phase(refs, "Phase-2").path == "docs/phase-2/ARCHITECTURE.md"
    assert known_phases(refs) == ["1", "2", "2.5", "3", "4", "10", "MVP"]


def test_discover_in_the_working_tree_sees_uncommitted_documents(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    git_repo.write("docs/phase-1/ARCHITECTURE.md", _doc())
    git_repo.commit()
    git_repo.tag("v1.0", annotated=True)
    git_repo.write("docs/phase-2/ARCHITECTURE.md", _doc())  # untracked
    git_repo.write("docs/phase-1/ARCHITECTURE.md", _doc("1b"))  # edited
    repo = opened(git_repo)

    worktree = discover(repo, None, DEFAULT)
    assert [(ref.phase, ref.rev) for ref in worktree] == [("1b", None), ("2", None)]
    document = read_document(repo, worktree[1])
    assert document == SourceDocument(worktree[1], _doc())
    assert [ref.phase for ref in discover(repo, "v1.0", DEFAULT)] == ["1"]


def test_custom_globs(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    git_repo.write("design/stage-1/DESIGN.md", _doc("1"))
    git_repo.write("docs/phase-2/ARCHITECTURE.md", _doc())
    git_repo.commit()
    config = Config(globs=("design/*/DESIGN.md",))
    refs = discover(opened(git_repo), "HEAD", config)
    assert [ref.path for ref in refs] == ["design/stage-1/DESIGN.md"]


def test_duplicate_phase_is_listed_but_cannot_be_picked(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    git_repo.write("docs/phase-3/ARCHITECTURE.md", _doc())
    git_repo.write("docs/architecture/phase-3.md", _doc())
    git_repo.write("docs/phase-4/ARCHITECTURE.md", _doc())
    git_repo.commit()
    refs = discover(opened(git_repo), "HEAD", DEFAULT)
    assert [ref.phase for ref in refs] == ["3", "3", "4"]

    with pytest.raises(DocumentError) as caught:
        find_phase(refs, "3")
    assert not isinstance(caught.value, UnknownPhaseError)
    assert str(caught.value) == (
        "Phase '3' is claimed by 2 documents at HEAD: docs/architecture/phase-3.md, "
        "docs/phase-3/ARCHITECTURE.md. Set globs (or exclude) in [tool.phasediff] so that "
        "only one matches, or correct their **Phase:** fields."
    )
    assert find_phase(refs, "4").path == "docs/phase-4/ARCHITECTURE.md"


def _refs(*phases: str, rev: str | None = "HEAD") -> list[DocumentRef]:
    return [
        DocumentRef(phase, f"docs/phase-{phase}/ARCHITECTURE.md", rev, None) for phase in phases
    ]


def test_unknown_phase_lists_the_known_ones() -> None:
    with pytest.raises(UnknownPhaseError) as caught:
        find_phase(_refs("1", "2", "3", "4"), "7")
    assert str(caught.value) == "Phase '7' not found at HEAD. Known phases: 1, 2, 3, 4."
    with pytest.raises(UnknownPhaseError, match="not found in the working tree"):
        find_phase(_refs("1", rev=None), "7")


def test_no_phase_documents_at_all() -> None:
    with pytest.raises(UnknownPhaseError) as caught:
        find_phase([], "2", rev="v1.0")
    assert str(caught.value) == (
        "No phase documents found at v1.0 (looked for docs/phase-N/ARCHITECTURE.md and "
        "similar). Set globs in [tool.phasediff] if yours live elsewhere."
    )


# -- text -------------------------------------------------------------------------


def test_load_text_accepts_a_byte_order_mark() -> None:
    assert load_text("\ufeff# Ü\n".encode(), "a.md", None) == "# Ü\n"


def test_load_text_rejects_other_encodings_with_the_offset() -> None:
    data = b"x" * 1234 + b"\xff rest"
    with pytest.raises(DocumentError) as caught:
        load_text(data, "docs/phase-2/ARCHITECTURE.md", "v1.0")
    assert str(caught.value) == (
        "docs/phase-2/ARCHITECTURE.md at v1.0 is not UTF-8 (byte 0xff at offset 1234). "
        "Re-save it as UTF-8."
    )
    with pytest.raises(
        DocumentError, match=r"in the working tree is not UTF-8 \(byte 0xe9 at offset 5\)"
    ):
        load_text(b"\xef\xbb\xbfab\xe9", "a.md", None)


def test_a_document_in_another_encoding_is_found_but_not_read(
    git_repo: GitRepoBuilder, opened: Callable[[GitRepoBuilder], Repository]
) -> None:
    git_repo.write("docs/phase-1/ARCHITECTURE.md", _doc())
    git_repo.write("docs/phase-2/ARCHITECTURE.md", "# Café\n".encode("cp1252"))
    git_repo.commit()
    repo = opened(git_repo)
    refs = discover(repo, "HEAD", DEFAULT)
    assert [ref.phase for ref in refs] == ["1", "2"]
    assert read_document(repo, refs[0]).text == _doc()
    with pytest.raises(DocumentError, match="at HEAD is not UTF-8 \\(byte 0xe9 at offset 5\\)"):
        read_document(repo, refs[1])


def test_phase_directories_the_globs_miss_are_noted_with_the_setting(
    git_repo: GitRepoBuilder,
) -> None:
    git_repo.write("docs/phase2/ARCHITECTURE.md", "# Phase 2\n")
    git_repo.write("docs/phase4/ORDER_FLOW_ARCHITECTURE.md", "# Phase 4 order flow\n")
    git_repo.write("docs/phase31/README.md", "# Phase 3.1 — model checks\n")
    git_repo.write("evidence/phase2_run/README.md", "# a run\n")
    git_repo.commit("layout")
    repo = Repository.open(git_repo.root)
    config = Config()
    refs = discover(repo, None, config)
    assert [ref.path for ref in refs] == ["docs/phase2/ARCHITECTURE.md"]
    notes = discovery_hints(repo.list_files(None), refs, config)
    assert [note.split(" ", 1)[0] for note in notes[:2]] == ["docs/phase31/", "docs/phase4/"]
    assert notes[-1].startswith("To include them, set in [tool.phasediff]: globs = [")
    assert '"**/phase*/*ARCHITECTURE*.md"' in notes[-1]
    assert '"docs/phase31/README.md"' in notes[-1]
    assert not any("evidence" in note for note in notes)
    # With those globs, phase31 titled "Phase 3.1" is phase 3.1.
    wider = Config(globs=(*config.globs, "**/phase*/*ARCHITECTURE*.md", "docs/phase31/README.md"))
    assert [(ref.phase, ref.path) for ref in discover(repo, None, wider)] == [
        ("2", "docs/phase2/ARCHITECTURE.md"),
        ("3.1", "docs/phase31/README.md"),
        ("4", "docs/phase4/ORDER_FLOW_ARCHITECTURE.md"),
    ]
    assert discovery_hints(repo.list_files(None), discover(repo, None, wider), wider) == []


def test_a_dotted_title_counts_only_where_the_path_has_its_digits() -> None:
    assert phase_of(declared_phase("# Phase 3.1 — checks\n"), "docs/phase31/README.md") == "3.1"
    assert phase_of(declared_phase("# Phase 3.1 — checks\n"), "docs/phase4/README.md") == "4"
    assert phase_of(declared_phase("**Phase:** 7\n"), "docs/phase31/README.md") == "7"
