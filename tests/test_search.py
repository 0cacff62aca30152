"""Search: the Pagefind index the build makes (search.py), its place in builds and the preview, and
the search page in real headless Chromium.

The unit tests run the real Pagefind binary over the SAMPLE site (what is searched, the passages'
sections and their anchors, byte-identical output) and fake binaries for the ways it can fail. The
browser tests serve the built sites under a sub-path (/sub/path/) of a local server and search them:
a word of an annotation's comment leads to the passage itself; notes and articles are found; no
request leaves the site's folder; the excerpts' markup cannot be anything but <mark>; keyboard,
without JavaScript, opened from disk (file://), and axe-core on the page with results.
"""

from __future__ import annotations

import gzip
import io
import json
import stat
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from explainer import pipeline, search
from explainer.cli import main as cli_main
from explainer.load import load_theme
from explainer.render import render_site

from .browser_support import BLOCKING_IMPACTS, Recorder, axe_violations, build, describe_violations, serve
from .conftest import ROOT, SAMPLE, TEMPLATES, ContentMaker, read_tree, write_tree

SUB_PATH = "sub/path"
# A comment whose words are nowhere else, with text that looks like markup (Markdown shows raw HTML as text).
COMMENT = 'Both give the same figure, quixotically. <img src=x onerror="window.hacked = 1"> <b>bold</b> & co.'
SEARCHED = {
    **SAMPLE,
    "annotations/sorties.yml": SAMPLE["annotations/sorties.yml"].replace(
        "comment: Both give the same figure.", f"comment: '{COMMENT.replace(chr(39), chr(39) * 2)}'"
    ),
}


def render(content: Path) -> tuple[pipeline.Site, dict[str, bytes]]:
    site = pipeline.check(content)
    return site, render_site(site, load_theme(TEMPLATES))


def fragments(index: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """What the index holds for each searched page, by its URL: Pagefind's fragments are gzipped JSON."""
    found = {}
    for path, data in index.items():
        if path.startswith("pagefind/fragment/"):
            raw = gzip.decompress(data)
            fragment = json.loads(raw[raw.index(b"{") :])
            found[fragment["url"]] = fragment
    return found


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[pipeline.Site, dict[str, bytes], dict[str, bytes]]:
    """The SEARCHED sample: its site, its rendered files and its search index (made once for the module)."""
    site, files = render(write_tree(tmp_path_factory.mktemp("content"), SEARCHED))
    return site, files, search.index_files(site, files)


def problems(call: Any, *args: Any, **kwargs: Any) -> list[str]:
    """The problems the call reports by raising SearchError, as `check` prints them."""
    with pytest.raises(search.SearchError) as error:
        call(*args, **kwargs)
    return [str(problem) for problem in error.value.problems]


def fake_pagefind(folder: Path, script: str, name: str = "pagefind") -> Path:
    """An executable standing in for Pagefind's binary."""
    path = folder / name
    path.write_text(textwrap.dedent(script).lstrip(), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


# A Pagefind service speaking the real protocol, that refuses the page of article beta, answers with an
# index id of its own (which every later request must carry) and returns the files named by FILES.
FAKE_SERVICE = """\
    #!PYTHON
    import base64, json, sys
    FILES = NAMES


    def answer(payload):
        if payload["type"] == "NewIndex":
            return {"type": "NewIndex", "index_id": 7}
        if payload.get("index_id") != 7:
            return {"type": "Error", "message": "unknown index", "original_message": None}
        if payload["type"] == "AddFile" and "beta" in payload["url"]:
            return {"type": "Error", "message": "cannot parse the page", "original_message": None}
        if payload["type"] == "GetFiles":
            files = [{"path": path, "content": base64.b64encode(b"x").decode()} for path in FILES]
            return {"type": "GetFiles", "files": files}
        return {"type": "IndexedFile", "page_word_count": 1, "page_url": "", "page_meta": {}}


    pending = b""
    while chunk := sys.stdin.buffer.read1(65536):
        pending += chunk
        while b"," in pending:
            message, pending = pending.split(b",", 1)
            request = json.loads(base64.b64decode(message))
            reply = {"message_id": request["message_id"], "payload": answer(request["payload"])}
            sys.stdout.buffer.write(base64.b64encode(json.dumps(reply).encode()) + b",")
            sys.stdout.flush()
"""


def fake_service(folder: Path, files: list[str]) -> Path:
    return fake_pagefind(folder, FAKE_SERVICE.replace("PYTHON", sys.executable).replace("NAMES", repr(files)))


# --- What is searched ------------------------------------------------------------------------------


def test_articles_notes_and_topics_are_searched_and_nothing_else(sample_index):
    site, files, index = sample_index
    expected = [
        "articles/alpha.html",
        "articles/beta.html",
        "notes/andrei-kartapolov.html",
        "notes/idlib.html",
        "topics/sorties.html",
    ]
    assert search.indexed_pages(site) == expected
    assert sorted(fragments(index)) == sorted(f"/{path}" for path in expected)
    assert {"index.html", "compare/alpha--beta.html", "404.html", "search.html"} <= set(files)
    entry = json.loads(index["pagefind/pagefind-entry.json"])
    assert entry["languages"]["en"]["page_count"] == len(expected)


def test_the_index_lives_in_its_folder_without_pagefinds_own_interfaces(sample_index):
    _, _, index = sample_index
    assert all(search.is_index_file(path) for path in index)
    assert {"pagefind/pagefind.js", "pagefind/pagefind-worker.js", "pagefind/pagefind-entry.json"} <= set(index)
    assert any(path.startswith("pagefind/wasm.en") for path in index)
    assert not [path for path in index if "-ui." in path or "highlight" in path or "playground" in path]


def test_each_annotated_passage_is_a_section_at_its_anchor(sample_index):
    site, _, index = sample_index
    sections = search.passage_sections(site)
    assert set(sections) == {"articles/alpha.html", "articles/beta.html"}
    alpha = fragments(index)["/articles/alpha.html"]
    headings = {a["id"]: a["text"] for a in alpha["anchors"] if a["element"] == "h2" and a["id"].startswith("p-")}
    assert headings == {
        "p-sixty-sorties-1": "“more than 60 sorties” (annotated: corroborates)",
        "p-idlib-strikes-1": "“The strikes hit Idlib” (annotated: context)",
    }
    beta = fragments(index)["/articles/beta.html"]
    assert [a["id"] for a in beta["anchors"] if a["element"] == "h2"] == ["p-sixty-sorties-2"]
    # The comment is searched once, in its passage's section: the margin notes are not searched as well.
    assert alpha["content"].count("quixotically") == 1
    assert "quixotically" in alpha["content"][alpha["content"].index("more than 60 sorties” (annotated") :]


def test_a_comment_that_looks_like_markup_stays_text(sample_index):
    site, _, _ = sample_index
    html = search.passage_sections(site)["articles/alpha.html"]
    assert "<img" not in html and "<b>" not in html
    assert "&lt;img src=x" in html and "&lt;b&gt;bold&lt;/b&gt; &amp; co." in html


def test_a_long_passage_is_clipped_at_a_word_in_its_heading():
    assert search.quoted("one two three four", 9) == "“one two…”"
    assert search.quoted("“Already quoted”", 100) == "“Already quoted”"


def test_the_same_pages_give_the_same_index_byte_for_byte(sample_index, tmp_path: Path):
    _, files, index = sample_index
    again_site, again_files = render(write_tree(tmp_path / "content", SEARCHED))
    assert all(again_files[path] == files[path] for path in search.indexed_pages(again_site))
    assert search.index_files(again_site, again_files) == index


def test_the_index_follows_the_sites_language(make_content: ContentMaker):
    site, files = render(make_content({"site.yml": "title: T\nlanguage: de\n"}))
    entry = json.loads(search.index_files(site, files)["pagefind/pagefind-entry.json"])
    assert list(entry["languages"]) == ["de"]


# --- When Pagefind cannot make the index ----------------------------------------------------------


def test_a_page_pagefind_refuses_is_named_and_the_protocol_is_followed(sample_index, tmp_path: Path):
    site, files, _ = sample_index
    binary = fake_service(tmp_path, ["pagefind.js"])
    assert problems(search.index_files, site, files, binary) == [
        "articles/beta.html: Pagefind could not index it: cannot parse the page"
    ]


def test_index_files_that_would_leave_the_folder_are_refused(sample_index, tmp_path: Path):
    site, files, _ = sample_index
    source = search.search_input(site, files)
    source = search.SearchInput(source.language, tuple(p for p in source.pages if "beta" not in p[0]), {})
    binary = fake_service(tmp_path, ["pagefind.js", "../../escaped.js"])
    assert problems(search.make_index, source, binary) == [
        "pagefind: Pagefind made a file outside its folder: '../../escaped.js'"
    ]
    good = fake_service(tmp_path, ["pagefind.js", "pagefind-ui.js", "fragment/a.pf_fragment"])
    assert search.make_index(source, good) == {"pagefind/pagefind.js": b"x", "pagefind/fragment/a.pf_fragment": b"x"}


def test_pagefind_that_exits_says_why(sample_index, tmp_path: Path):
    site, files, _ = sample_index
    binary = fake_pagefind(tmp_path, "#!/bin/sh\necho 'pagefind: broken install' >&2\nexit 3\n")
    assert problems(search.index_files, site, files, binary) == [
        "pagefind: Pagefind stopped before it started an index (exit status 3): pagefind: broken install"
    ]


def test_pagefind_that_hangs_is_stopped(sample_index, tmp_path: Path):
    site, files, _ = sample_index
    binary = fake_pagefind(tmp_path, "#!/bin/sh\nexec sleep 60\n")
    assert problems(search.make_index, search.search_input(site, files), binary, timeout=0.5) == [
        "pagefind: Pagefind did not finish within 0.5 s and was stopped"
    ]


def test_a_missing_binary_says_how_to_install_it(sample_index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    site, files, _ = sample_index
    [missing] = problems(search.index_files, site, files, tmp_path / "no-such-pagefind")
    assert missing.startswith(f"pagefind: cannot run Pagefind ({tmp_path / 'no-such-pagefind'}): ")
    assert missing.endswith("; install the requirements: python -m pip install -r requirements.txt")
    import pagefind.service

    monkeypatch.setattr(pagefind.service, "get_executable", lambda: None)
    assert problems(search.index_files, site, files) == [
        "pagefind: Pagefind's binary is not installed; install the requirements: "
        "python -m pip install -r requirements.txt"
    ]


def test_a_page_without_main_is_named():
    source = search.SearchInput("en", (("articles/a.html", b"<p>no main</p>"),), {"articles/a.html": "<section/>"})
    assert problems(search.make_index, source) == [
        "articles/a.html: the page has no </main>, after which its passages' sections are searched"
    ]


# --- In builds and in the preview -----------------------------------------------------------------


def test_build_writes_the_index_and_the_search_page(make_content: ContentMaker, tmp_path: Path):
    out = tmp_path / "site"
    pipeline.build(make_content(), out, TEMPLATES)
    assert (out / "search.html").is_file() and (out / "assets" / "search.js").is_file()
    assert (out / "pagefind" / "pagefind.js").is_file()
    listed = (out / ".explainer-build").read_text(encoding="utf-8")
    assert "pagefind/pagefind.js\n" in listed and "search.html\n" in listed


def test_a_pagefind_failure_fails_the_build_clearly(
    make_content: ContentMaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    binary = fake_pagefind(tmp_path, "#!/bin/sh\necho 'no index today' >&2\nexit 2\n", "broken")
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(binary))  # the pagefind package's own override
    out, stdout, stderr = tmp_path / "site", io.StringIO(), io.StringIO()
    code = cli_main(["build", "--content", str(make_content()), "--out", str(out)], TEMPLATES, stdout, stderr)
    assert code == 1
    assert stderr.getvalue() == (
        "pagefind: Pagefind stopped before it started an index (exit status 2): no index today\n1 error in 1 file\n"
    )
    assert not out.exists()


def _preview(state: pipeline.PreviewState, content: Path, out: Path, changed: set[Path], **options: Any):
    return pipeline.preview_build(
        state, content, out, TEMPLATES, changed, shown=str(content), base_url=None, origin=None, **options
    )


def test_the_preview_can_index_after_the_pages_are_written(make_content: ContentMaker, tmp_path: Path):
    content, out = make_content(), tmp_path / "out"
    first = _preview(pipeline.PreviewState(), content, out, set())
    assert any(search.is_index_file(path) for path in first.written)
    before = {path: data for path, data in read_tree(out).items() if search.is_index_file(path)}
    topic = content / "annotations" / "sorties.yml"
    topic.write_text(topic.read_text().replace("Both give the same figure.", "Both give the same count."))

    built = _preview(first.state, content, out, {topic}, search_now=False)
    assert not built.problems and "articles/alpha.html" in built.written
    assert {path: data for path, data in read_tree(out).items() if search.is_index_file(path)} == before

    indexed = pipeline.preview_index(built.state, out)
    # The data files waited for this step too.
    assert not indexed.problems and any(search.is_index_file(p) for p in indexed.written)
    assert {p for p in indexed.written if not search.is_index_file(p)} == {
        "data/explainer.json",
        "data/annotations.jsonld",
        "data/annotations.csv",
    }
    assert [step for step, _ in indexed.seconds] == ["data", "search"]
    pipeline.build(content, tmp_path / "full", TEMPLATES)
    assert read_tree(out) == read_tree(tmp_path / "full")

    again = pipeline.preview_index(indexed.state, out)  # nothing changed since: Pagefind does not run
    assert (again.written, again.removed, [step for step, _ in again.seconds]) == ((), (), ["data"])
    style_only = _preview(indexed.state, content, out, {TEMPLATES / "assets" / "style.css"})
    assert not any(search.is_index_file(path) for path in style_only.written)


def test_a_pagefind_failure_in_the_preview_is_a_problem_until_it_works(
    make_content: ContentMaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    content, out = make_content(), tmp_path / "out"
    first = _preview(pipeline.PreviewState(), content, out, set())
    article = content / "articles" / "beta.md"
    article.write_text(article.read_text().replace("Officials said", "Officials then said"))
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(fake_pagefind(tmp_path, "#!/bin/sh\nexit 9\n")))
    failed = _preview(first.state, content, out, {article})
    assert [str(p) for p in failed.problems] == [
        "pagefind: Pagefind stopped before it started an index (exit status 9)"
    ]
    assert "articles/beta.html" in failed.written  # the pages are in place; only the index is behind
    monkeypatch.delenv("PAGEFIND_BINARY_PATH")
    fixed = pipeline.preview_index(failed.state, out)
    assert not fixed.problems and fixed.written
    pipeline.build(content, tmp_path / "full", TEMPLATES)
    assert read_tree(out) == read_tree(tmp_path / "full")


# --- In the browser ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    folder: Path
    url: str  # the site's address, ending in /


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Served]]:
    """The SEARCHED sample and the Syria site, built and served at /sub/path/ and /syria/ of one local server."""
    root = tmp_path_factory.mktemp("served")
    content = write_tree(tmp_path_factory.mktemp("content"), SEARCHED)
    with serve(root) as url:
        build(content, root / SUB_PATH)
        build(ROOT / "content", root / "syria")
        yield {
            "sample": Served(root / SUB_PATH, f"{url}{SUB_PATH}/"),
            "syria": Served(root / "syria", f"{url}syria/"),
        }


def open_search(context: Any, site: Served, query: str) -> tuple[Any, Recorder]:
    """The search page for a query, once its results (or that there are none) are announced."""
    from urllib.parse import quote

    page = context.new_page()
    recorder = Recorder(site.url).attach(page)
    page.goto(f"{site.url}search.html?q={quote(query)}")
    page.wait_for_function("() => /result/.test(document.getElementById('search-status').textContent)")
    return page, recorder


def result_links(page: Any) -> list[str]:
    return page.eval_on_selector_all("#search-results a", "links => links.map(a => a.getAttribute('href'))")


def test_a_word_of_a_comment_leads_to_the_passage(browser: Any, served: dict[str, Served]):
    site = served["sample"]
    context = browser.new_context()
    try:
        page, recorder = open_search(context, site, "quixotically")
        assert page.get_attribute("#search-status", "role") == "status"
        assert page.text_content("#search-status") == "3 results for “quixotically”."
        links = result_links(page)
        # The two sources quoted by the annotation, each with the passage as a sub-result, and the topic.
        assert "articles/alpha.html#p-sixty-sorties-1" in links and "articles/beta.html#p-sixty-sorties-2" in links
        assert "topics/sorties.html" in links
        page.click("a[href='articles/beta.html#p-sixty-sorties-2']")
        page.wait_for_url(f"{site.url}articles/beta.html#p-sixty-sorties-2")
        assert page.evaluate("() => document.querySelector(':target') && document.querySelector(':target').id") == (
            "p-sixty-sorties-2"
        )
        assert page.text_content(":target") == "over 60 sorties"
        assert not recorder.problems, recorder.report("searching and following a result")
        assert all(url.startswith(site.url) for url in recorder.requests)
        assert any("/pagefind/fragment/" in url for url in recorder.requests)
    finally:
        context.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Kartapolov", "notes/andrei-kartapolov.html"),  # a note (and the articles naming him)
        ("terrorists", "articles/beta.html"),  # words only in an article's text
        ("north-western province", "notes/idlib.html"),  # a note's summary
    ],
)
def test_notes_and_articles_are_found(browser: Any, served: dict[str, Served], query: str, expected: str):
    context = browser.new_context()
    try:
        page, recorder = open_search(context, served["sample"], query)
        assert expected in result_links(page)
        assert not recorder.problems, recorder.report(f"searching {query!r}")
    finally:
        context.close()


def test_excerpts_keep_only_their_marks(browser: Any, served: dict[str, Served]):
    context = browser.new_context()
    try:
        page, recorder = open_search(context, served["sample"], "bold")
        results = page.locator("#search-results")
        assert page.evaluate("() => window.hacked") is None
        tags = page.eval_on_selector_all(".search-excerpt *", "nodes => [...new Set(nodes.map(n => n.localName))]")
        assert tags == ["mark"]
        assert "<img src=x" in results.inner_text() and "<b>bold</b> & co." in results.inner_text()
        marked = page.eval_on_selector_all(".search-excerpt mark", "marks => marks.map(m => m.textContent)")
        assert marked and all("bold" in text for text in marked)  # Pagefind counts the tags' letters as the word's
        assert not recorder.problems, recorder.report("searching 'bold'")
    finally:
        context.close()


def test_the_header_box_searches_from_any_page_by_keyboard(browser: Any, served: dict[str, Served]):
    site = served["sample"]
    context = browser.new_context()
    try:
        page = context.new_page()
        recorder = Recorder(site.url).attach(page)
        page.goto(f"{site.url}notes/idlib.html")
        box = page.get_by_role("searchbox", name="Search this site")
        for _ in range(20):
            page.keyboard.press("Tab")
            if box.evaluate("box => box === document.activeElement"):
                break
        else:
            pytest.fail("Tab never reached the header's search box")
        page.keyboard.type("sorties")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{site.url}search.html?q=sorties")
        page.wait_for_function("() => /result/.test(document.getElementById('search-status').textContent)")
        assert page.input_value("#search-query") == "sorties"
        assert "articles/alpha.html" in result_links(page)
        assert not recorder.problems, recorder.report("searching from the header")
    finally:
        context.close()


def test_show_more_adds_results_and_moves_focus_to_them(browser: Any, served: dict[str, Served]):
    site = served["syria"]
    context = browser.new_context()
    try:
        page, recorder = open_search(context, site, "Russia")
        count = int(page.text_content("#search-status").split()[0])
        assert count > 10 and page.locator("#search-results > li").count() == 10
        page.focus("#search-more")
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.querySelectorAll('#search-results > li').length > 10")
        assert page.locator("#search-results > li").count() == min(count, 20)
        focused = page.evaluate(
            "() => [...document.querySelectorAll('#search-results > li')]"
            ".indexOf(document.activeElement.closest('#search-results > li'))"
        )
        assert focused == 10, "focus should move to the first result added"
        assert page.is_hidden("#search-more") == (count <= 20)
        assert not recorder.problems, recorder.report("showing more results")
    finally:
        context.close()


def test_without_javascript_the_page_says_search_needs_it(browser: Any, served: dict[str, Served]):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{served['sample'].url}search.html?q=sorties")
        assert "Search needs JavaScript" in page.inner_text("main")
    finally:
        context.close()


def test_opened_from_disk_the_page_says_search_needs_a_server(browser: Any, served: dict[str, Served]):
    folder = served["sample"].folder
    context = browser.new_context()
    try:
        page = context.new_page()
        recorder = Recorder(folder.as_uri() + "/").attach(page)
        page.goto(f"{(folder / 'search.html').as_uri()}?q=sorties")
        page.wait_for_selector("#search-offline", state="visible")
        assert "served over http or https" in page.inner_text("#search-offline")
        assert "python build.py serve" in page.inner_text("#search-offline")
        assert page.is_hidden("#search-form") and page.is_hidden("#search-output")
        assert not recorder.problems, recorder.report("search.html from disk")
        assert not any("/pagefind/" in url for url in recorder.requests)
    finally:
        context.close()


def test_a_missing_index_is_said_plainly(browser: Any, served: dict[str, Served]):
    site = served["sample"]
    context = browser.new_context()
    try:
        page = context.new_page()
        page.route("**/pagefind/pagefind.js", lambda route: route.fulfill(status=404, body="missing"))
        page.goto(f"{site.url}search.html?q=sorties")
        page.wait_for_selector("#search-failed", state="visible")
        assert page.is_hidden("#search-form")
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_search_page_with_results_has_no_serious_accessibility_violations(
    browser: Any, served: dict[str, Served], scheme: str
):
    context = browser.new_context(color_scheme=scheme)
    try:
        page, _ = open_search(context, served["syria"], "sorties")
        blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"axe-core on the search page ({scheme}):\n" + describe_violations(blocking)
    finally:
        context.close()


def test_a_scaffolded_explainer_is_searched_down_to_its_passages(tmp_path: Path) -> None:
    folder, out = tmp_path / "new", tmp_path / "site"
    assert cli_main(["init", str(folder)], stdout=io.StringIO(), stderr=io.StringIO()) == 0
    assert cli_main(["--content", str(folder), "--out", str(out)], stdout=io.StringIO(), stderr=io.StringIO()) == 0
    index = {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / "pagefind").rglob("*") if p.is_file()}
    found = fragments({f"pagefind/{path.split('/', 1)[1]}": data for path, data in index.items()})
    assert set(found) == {"/articles/example-article.html", "/notes/verbatim-text.html", "/topics/example-topic.html"}
    anchors = {a["id"] for a in found["/articles/example-article.html"]["anchors"] if a["element"] == "h2"}
    assert {"p-copied-exactly-1", "p-another-example-passage-1"} <= anchors


def test_labels_and_values_stay_separate_words_in_the_index(sample_index):
    # Pagefind joins adjacent <dt> and <dd> text: "sourcesAndre" would match neither word.
    _, _, index = sample_index
    content = fragments(index)["/notes/andrei-kartapolov.html"]["content"]
    assert "Also called in the sources Andre Kartapolov" in content
