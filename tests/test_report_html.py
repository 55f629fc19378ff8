"""``phasediff report --html``: the site from the demo, loaded in a real browser.

The browser test runs headless Chromium (Debian: ``apt-get install chromium``)
on the generated site and asserts on the DOM it built: the component matrix,
the timeline bars and marks, and that every link of every page resolves to a
file of the site and, where it has one, to an element with that id.  It saves
a screenshot of the index into ``$PHASEDIFF_SCREENSHOT_DIR`` (else the test's
temporary directory).  Without Chromium it is skipped, unless
``PHASEDIFF_REQUIRE_BROWSER`` is set (as CI does): then it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from phasediff.cli import main
from phasediff.trace import STATES
from tests.support.phase_docs import document

if TYPE_CHECKING:
    from tests.conftest import GitRepoBuilder

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
)


class Page(HTMLParser):
    """What the tests read from a page: elements with their attributes, ids, links."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def having(self, tag: str, css_class: str) -> list[dict[str, str]]:
        return [
            attrs
            for name, attrs in self.elements
            if name == tag and css_class in attrs.get("class", "").split()
        ]

    @property
    def ids(self) -> set[str]:
        return {attrs["id"] for _, attrs in self.elements if "id" in attrs}

    @property
    def references(self) -> list[str]:
        return [attrs[key] for _, attrs in self.elements for key in ("href", "src") if key in attrs]


@pytest.fixture(scope="module")
def site(demo_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("site")
    cache = tmp_path_factory.mktemp("cache")
    result = CliRunner().invoke(
        main,
        ["report", "--html", str(directory), "--repo", str(demo_repo), "--cache-dir", str(cache)],
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip().endswith(str(directory / "index.html"))
    return directory


def test_site_is_offline_and_links_resolve(site: Path) -> None:
    pages = {path.name: Page(path.read_text(encoding="utf-8")) for path in site.glob("*.html")}
    assert {"index.html", "drift-2-to-3.html", "phase-3.html", "component-loki.html"} <= set(pages)
    for name, page in pages.items():
        assert not [tag for tag, _ in page.elements if tag in ("script", "iframe", "img")], name
        for reference in page.references:
            assert "://" not in reference and not reference.startswith("//"), (name, reference)
            target, _, fragment = reference.partition("#")
            target = target or name
            assert (site / target).is_file(), (name, reference)
            if fragment and target.endswith(".html"):
                assert fragment in pages[target].ids, (name, reference)
    assert (site / "style.css").is_file()


def test_document_text_is_escaped(git_repo: GitRepoBuilder, tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script>"
    git_repo.write("docs/phase-1/ARCHITECTURE.md", document("1", ["Loki"], ["LOKI_URL"]))
    git_repo.commit("phase 1")
    git_repo.write(
        "docs/phase-2/ARCHITECTURE.md",
        document("2", ["Loki", hostile], ["LOKI_URL"], title=f"Logs & {hostile}"),
    )
    git_repo.commit(f"phase 2 {hostile}")
    site = tmp_path / "site"
    result = CliRunner().invoke(
        main, ["report", "--html", str(site), "--repo", str(git_repo.root), "--no-cache"]
    )
    assert result.exit_code == 0, result.stderr
    pages = {path.name: path.read_text(encoding="utf-8") for path in site.glob("*.html")}
    assert all("<script" not in text for text in pages.values())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["index.html"]
    assert "Logs &amp;" in pages["index.html"]


def _browser() -> str | None:
    configured = os.environ.get("PHASEDIFF_CHROMIUM")
    if configured:
        return configured
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def _chromium(browser: str, profile: Path, *args: str) -> str:
    result = subprocess.run(
        [browser, *CHROME_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_browser_renders_matrix_and_timeline(site: Path, tmp_path: Path) -> None:
    browser = _browser()
    if browser is None:
        message = f"no headless browser found (looked for {', '.join(BROWSERS)})"
        if os.environ.get("PHASEDIFF_REQUIRE_BROWSER"):
            pytest.fail(message + "; CI installs chromium with apt-get before the tests")
        pytest.skip(message)
    shots = Path(os.environ.get("PHASEDIFF_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / "report-index.png"
    size = "--window-size=1280,1500"
    profile = tmp_path / "profile"
    index = (site / "index.html").as_uri()
    # One browser run: the DOM it built, and what it drew.
    dom = Page(_chromium(browser, profile, "--dump-dom", f"--screenshot={shot}", size, index))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    cells = dom.having("td", "cell")
    assert len(cells) == 12 * 4  # the demo's twelve components in four phases
    states = {cell["data-state"] for cell in cells}
    assert {"new", "modified", "retained", "replaced", "not mentioned"} <= states <= set(STATES)
    links = [attrs["href"] for tag, attrs in dom.elements if tag == "a"]
    assert "component-promtail.html#p-3" in links  # a cell opens the component in that phase
    bars = dom.having("div", "tl-bar")
    assert [bar["data-phase"] for bar in bars] == ["1", "2", "3", "4"]
    assert len(dom.having("div", "open")) == 1  # phase 4 is in progress
    marks = dom.having("a", "tl-mark")
    assert len(marks) >= 10
    assert all(mark["href"].startswith("phase-") and "#c-" in mark["href"] for mark in marks)

    if os.environ.get("PHASEDIFF_SCREENSHOT_DIR"):  # more pictures for a person to look at
        for page in ("drift-2-to-3.html", "component-loki.html", "phase-3.html"):
            shot = shots / f"report-{page.removesuffix('.html')}.png"
            _chromium(browser, profile, f"--screenshot={shot}", size, (site / page).as_uri())
