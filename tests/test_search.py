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

import dataclasses
import gzip
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from explainer import pipeline, search
from explainer.cli import main as cli_main
from explainer.load import load_theme
from explainer.render import render_site
from explainer.write import PARTIAL

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
        if "/fragment/" in path:
            raw = gzip.decompress(data)
            fragment = json.loads(raw[raw.index(b"{") :])
            found[fragment["url"]] = fragment
    return found


@pytest.fixture(scope="module", autouse=True)
def _temporary_folders_on_one_file_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every index here is made in a temporary folder on the same file system, as TMPDIR says.

    Pagefind numbers pages in the order its file system lists them, which differs from one kind of
    file system to another (a small site's index is otherwise made in memory, see temporary_base).
    """
    folder = tmp_path_factory.mktemp("temporary-folders")
    with pytest.MonkeyPatch.context() as patch:
        temporary_in(folder, patch)
        yield


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[pipeline.Site, dict[str, bytes], dict[str, bytes]]:
    """The SEARCHED sample: its site, its rendered files and its search index (made once for the module)."""
    site, files = render(write_tree(tmp_path_factory.mktemp("content"), SEARCHED))
    return site, files, index_files(site)


def index_files(site: pipeline.Site, binary: Path | None = None) -> dict[str, bytes]:
    """The search index of a site, as a build makes it (without the cache folder)."""
    return search.make_index(search.search_input(site), binary)


def problems(call: Any, *args: Any, **kwargs: Any) -> list[str]:
    """The problems the call reports by raising SearchError, as `check` prints them."""
    with pytest.raises(search.SearchError) as error:
        call(*args, **kwargs)
    return [str(problem) for problem in error.value.problems]


def fake_pagefind(folder: Path, script: str, name: str = "pagefind") -> Path:
    """An executable standing in for Pagefind's binary (run in a part's folder, with Pagefind's arguments)."""
    path = folder / name
    path.write_text(textwrap.dedent(script).lstrip(), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder where temporary folders are made during the test (to see that they are removed)."""
    folder = tmp_path / "temporary"
    folder.mkdir()
    temporary_in(folder, monkeypatch)
    return folder


def temporary_in(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Have temporary folders made in `folder`, as TMPDIR says (so a small site's not in memory either)."""
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))


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
    assert [path for path, _ in search.search_input(site).documents] == expected
    assert sorted(fragments(index)) == sorted(f"/{path}" for path in expected)
    assert set(expected) | {"index.html", "compare/alpha--beta.html", "404.html", "search.html"} <= set(files)
    entry = json.loads(index["pagefind/pagefind-entry.json"])
    assert entry["languages"]["en"]["page_count"] == len(expected)


def test_the_index_lives_in_its_folder_without_pagefinds_own_interfaces(sample_index):
    _, _, index = sample_index
    assert all(search.is_index_file(path) for path in index)
    assert {"pagefind/pagefind.js", "pagefind/pagefind-worker.js", "pagefind/pagefind-entry.json"} <= set(index)
    assert any(path.startswith("pagefind/wasm.en") for path in index)
    assert not [path for path in index if "-ui." in path or "highlight" in path or "playground" in path]
    assert json.loads(index["pagefind/parts.json"]) == []  # one part: nothing to merge


def test_each_annotated_passage_is_a_section_at_its_anchor(sample_index):
    _, _, index = sample_index
    alpha = fragments(index)["/articles/alpha.html"]
    headings = {a["id"]: a["text"] for a in alpha["anchors"] if a["element"] == "h2" and a["id"].startswith("p-")}
    assert headings == {
        "p-sixty-sorties-1": "“more than 60 sorties” (annotated: corroborates)",
        "p-idlib-strikes-1": "“The strikes hit Idlib” (annotated: context)",
    }
    beta = fragments(index)["/articles/beta.html"]
    assert [a["id"] for a in beta["anchors"] if a["id"].startswith("p-")] == ["p-sixty-sorties-2"]
    # The comment is searched once, in its passage's section.
    assert alpha["content"].count("quixotically") == 1
    assert "quixotically" in alpha["content"][alpha["content"].index("more than 60 sorties” (annotated") :]
    assert alpha["meta"]["title"] == "Jets fly sixty sorties"


def test_an_articles_document_holds_its_text_and_byline_and_nothing_else(sample_index):
    site, files, _ = sample_index
    documents = dict(search.search_input(site).documents)
    alpha = documents["articles/alpha.html"]
    assert "<h1>Jets fly sixty sorties</h1>\n<p>Alpha News, 4 October 2015</p>" in alpha
    assert "<p>Russian jets have flown “more than 60 sorties”" in alpha
    assert '<h2 id="para-2">Strikes</h2>' in alpha
    assert "<nav" not in alpha and "margin-notes" not in alpha and "href" not in alpha
    # Far smaller than the page it stands for: the page's margin notes, links and lists are not searched.
    assert len(alpha) < len(files["articles/alpha.html"]) / 2


def test_notes_and_topics_documents(sample_index):
    site, _, index = sample_index
    documents = dict(search.search_input(site).documents)
    assert documents["notes/idlib.html"].startswith("<!DOCTYPE html>")
    assert "<h1>Idlib</h1>\n<p>Place</p>" in documents["notes/idlib.html"]
    topic = fragments(index)["/topics/sorties.html"]
    anchor, _ = [a for a in topic["anchors"] if a["element"] == "h2"]
    assert anchor["id"] == "ann-sixty-sorties"
    assert anchor["text"] == "corroborates: “more than 60 sorties”; “over 60 sorties”"
    assert "quixotically" in topic["content"]


def test_a_comment_that_looks_like_markup_stays_text(sample_index):
    site, _, _ = sample_index
    html = dict(search.search_input(site).documents)["articles/alpha.html"]
    assert "<img" not in html and "<b>" not in html
    assert "&lt;img src=x" in html and "&lt;b&gt;bold&lt;/b&gt; &amp; co." in html


def test_a_long_passage_is_clipped_at_a_word_in_its_heading():
    assert search.quoted("one two three four", 9) == "“one two…”"
    assert search.quoted("“Already quoted”", 100) == "“Already quoted”"


def test_the_same_content_gives_the_same_index_byte_for_byte(sample_index, tmp_path: Path):
    _, _, index = sample_index
    again_site, _ = render(write_tree(tmp_path / "content", SEARCHED))
    assert index_files(again_site) == index


def test_a_build_makes_each_document_as_it_is_read_and_reads_them_once(sample_index, monkeypatch, temporary: Path):
    site, _, index = sample_index
    streamed = search.search_input(site, held=False)
    assert not isinstance(streamed.documents, tuple)
    assert len(streamed.documents) == len(list(streamed.documents)) == len(search.indexed_pages(site))
    assert list(streamed.documents) == list(search.search_input(site).documents)
    assert search.fingerprint(streamed) == search.fingerprint(search.search_input(site))
    made = []
    real_page = search._page
    monkeypatch.setattr(search, "_page", lambda *args: made.append(args[1]) or real_page(*args))
    assert search.make_index(streamed) == index
    assert len(made) == len(search.indexed_pages(site))  # written and fingerprinted in one reading


def test_the_index_follows_the_sites_language(make_content: ContentMaker):
    site, _ = render(make_content({"site.yml": "title: T\nlanguage: de\n"}))
    entry = json.loads(index_files(site)["pagefind/pagefind-entry.json"])
    assert list(entry["languages"]) == ["de"]


def test_a_large_index_is_made_in_parts_that_the_search_page_merges(sample_index, temporary: Path):
    site, _, whole = sample_index
    with search.start_index(search.search_input(site), part_documents=2) as job:
        index = job.files()
    assert json.loads(index["pagefind/parts.json"]) == ["part-2/", "part-3/"]
    entries = [json.loads(index[f"{folder}/pagefind-entry.json"]) for folder in ("pagefind", *PARTS)]
    assert [entry["languages"]["en"]["page_count"] for entry in entries] == [2, 2, 1]
    assert sorted(fragments(index)) == sorted(fragments(whole))
    assert not list(temporary.iterdir())


PARTS = ("pagefind/part-2", "pagefind/part-3")


def test_each_part_starts_as_soon_as_the_one_before_is_done(sample_index, tmp_path: Path, temporary: Path):
    site, _, _ = sample_index
    log = tmp_path / "started.txt"
    log.write_text("")
    # Each part notes when it starts, then takes 0.2 s to make its index.
    script = (
        f"#!/bin/sh\necho start >> {log}\nsleep 0.2\nmkdir -p index\n"
        "printf x > index/pagefind.js\nprintf x > index/pagefind-entry.json\n"
    )
    with search.start_index(search.search_input(site), fake_pagefind(tmp_path, script), part_documents=2) as job:
        deadline = time.monotonic() + 10
        while len(log.read_text().split()) < 3 and time.monotonic() < deadline:
            job.advance()  # as the build does between pages, without waiting
            time.sleep(0.02)
        assert log.read_text().split() == ["start"] * 3  # all three parts ran before files() was asked for
        index = job.files()
    # Pagefind's script and worker are loaded from the first part only: the others do not keep them.
    assert sorted(index) == [
        "pagefind/pagefind-entry.json",
        "pagefind/pagefind.js",
        "pagefind/part-2/pagefind-entry.json",
        "pagefind/part-3/pagefind-entry.json",
        "pagefind/parts.json",
    ]
    assert not list(temporary.iterdir())


def test_nothing_to_search_makes_no_index_and_says_so(tmp_path: Path, temporary: Path):
    empty = {"site.yml": "title: Empty\n", "articles/.keep": "", "notes/.keep": "", "annotations/.keep": ""}
    out = tmp_path / "site"
    pipeline.build(write_tree(tmp_path / "content", empty), out, TEMPLATES)
    assert not (out / "pagefind").exists()
    page = (out / "search.html").read_text(encoding="utf-8")
    assert "There is nothing to search yet" in page and "search.js" not in page
    assert not list(temporary.iterdir())


# --- The indexes kept in the cache folder ---------------------------------------------------------


def kept_indexes(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("search-"))


def test_an_index_of_the_same_documents_is_taken_from_the_cache(
    sample_index, tmp_path: Path, temporary: Path, monkeypatch: pytest.MonkeyPatch
):
    site, _, index = sample_index
    cache = tmp_path / "cache"
    source = search.search_input(site)
    assert search.make_index(source, cache=cache) == index
    [kept] = kept_indexes(cache)

    def no_pagefind(*_: Any, **__: Any) -> None:
        raise AssertionError("Pagefind ran")

    with monkeypatch.context() as patch:
        patch.setattr(search.subprocess, "Popen", no_pagefind)
        patch.setattr(search, "temporary_folder", no_pagefind)  # nor is anything written for it
        assert search.make_index(source, cache=cache) == index
    assert not list(temporary.iterdir())

    changed = dataclasses.replace(source, documents=source.documents[:-1])
    assert search.make_index(changed, cache=cache) != index  # other documents: made, and kept beside
    assert len(kept_indexes(cache)) == 2

    (cache / kept).write_bytes((cache / kept).read_bytes()[:-10])  # cut short: not used
    assert search.make_index(source, cache=cache) == index
    assert (cache / kept).stat().st_size > 0


def test_the_cache_keeps_the_most_recently_used_indexes(sample_index, tmp_path: Path):
    site, _, _ = sample_index
    cache = tmp_path / "cache"
    source = search.search_input(site)
    for number in range(search.KEPT_INDEXES + 2):
        search.make_index(dataclasses.replace(source, documents=source.documents[: number + 1]), cache=cache)
    assert len(kept_indexes(cache)) == search.KEPT_INDEXES
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # others could change what is published: not used
    search.make_index(source, cache=shared)
    assert kept_indexes(shared) == []


def index_in_parts(source: search.SearchInput, cache: Path | None = None) -> dict[str, bytes]:
    """The index of `source` made in parts of two documents."""
    with search.start_index(source, part_documents=2, cache=cache) as job:
        return job.files()


@pytest.fixture
def pagefind_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The parts (by their folders' names, from 0) that Pagefind is started on, as it is."""
    started: list[str] = []
    real = search.subprocess.Popen

    def popen(command: list[str], **options: Any) -> Any:
        started.append(Path(options["cwd"]).name)
        return real(command, **options)

    monkeypatch.setattr(search.subprocess, "Popen", popen)
    return started


def edited(source: search.SearchInput, number: int) -> search.SearchInput:
    """`source` with one more paragraph in its document at `number`."""
    documents = list(source.documents)
    path, html = documents[number]
    documents[number] = (path, html.replace("</main>", "<p>A paragraph added.</p></main>"))
    return dataclasses.replace(source, documents=tuple(documents))


def test_only_the_parts_whose_documents_changed_are_made_again(
    sample_index, tmp_path: Path, temporary: Path, pagefind_runs: list[str]
):
    site, _, _ = sample_index
    cache = tmp_path / "cache"
    source = search.search_input(site)  # five documents: parts of two, two and one
    index_in_parts(source, cache)
    assert pagefind_runs == ["0", "1", "2"] and len(kept_indexes(cache)) == 3
    pagefind_runs.clear()
    changed = edited(source, 2)
    index = index_in_parts(changed, cache)
    assert pagefind_runs == ["1"]  # the part holding the edited document, alone
    assert index == index_in_parts(changed)  # byte for byte the index Pagefind makes of every part
    assert index != index_in_parts(source, cache)
    assert not list(temporary.iterdir())


def test_a_kept_part_is_used_wherever_its_documents_fall(
    sample_index, tmp_path: Path, temporary: Path, pagefind_runs: list[str]
):
    site, _, _ = sample_index
    cache = tmp_path / "cache"
    source = search.search_input(site)
    index_in_parts(source, cache)
    pagefind_runs.clear()
    later = dataclasses.replace(source, documents=source.documents[2:])  # the second and third parts come first
    index = index_in_parts(later, cache)
    assert pagefind_runs == []
    assert index == index_in_parts(later)  # the first part has Pagefind's script and worker, the other not
    assert "pagefind/pagefind.js" in index and "pagefind/part-2/pagefind.js" not in index


def test_the_cache_keeps_the_parts_of_the_last_indexes(sample_index, tmp_path: Path, pagefind_runs: list[str]):
    site, _, _ = sample_index
    cache = tmp_path / "cache"
    source = search.search_input(site)
    edits = search.KEPT_INDEXES * 3
    for _ in range(edits):
        source = edited(source, 4)  # the last part changes, the first two do not
        index_in_parts(source, cache)
    assert pagefind_runs == ["0", "1", "2"] + ["2"] * (edits - 1)
    assert len(kept_indexes(cache)) == search.KEPT_INDEXES * 3  # of 2 + edits parts made
    pagefind_runs.clear()
    index_in_parts(source, cache)  # the first two parts, made first but used every time, are still kept
    assert pagefind_runs == []


def test_a_kept_part_naming_a_file_outside_its_folder_is_not_used(
    sample_index, tmp_path: Path, pagefind_runs: list[str]
):
    site, _, index = sample_index
    cache = tmp_path / "cache"
    source = search.search_input(site)
    search.make_index(source, cache=cache)
    [kept] = kept_indexes(cache)
    name, data = b"../../outside.js", b"alert(1)"
    (cache / kept).write_bytes(search._KEPT_HEADER + f"{len(name)} {len(data)}\n".encode() + name + data)
    assert search.make_index(source, cache=cache) == index
    assert len(pagefind_runs) == 2  # made again, and kept again
    assert b"outside" not in (cache / kept).read_bytes()


def test_a_command_line_build_keeps_its_index_for_the_next(
    make_content: ContentMaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from explainer.cli import cache_folder

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    content = make_content()

    def build(out: Path) -> None:
        arguments = ["build", "--content", str(content), "--out", str(out)]
        assert cli_main(arguments, TEMPLATES, io.StringIO(), io.StringIO()) == 0

    build(tmp_path / "first")
    assert len(kept_indexes(cache_folder())) == 1
    with monkeypatch.context() as patch:
        patch.setattr(search.subprocess, "Popen", None)  # Pagefind cannot run: the kept index is used
        build(tmp_path / "second")
    assert read_tree(tmp_path / "first") == read_tree(tmp_path / "second")


# --- When Pagefind cannot make the index ----------------------------------------------------------


def test_only_pagefinds_files_in_its_folder_are_taken(sample_index, tmp_path: Path, temporary: Path):
    site, _, _ = sample_index
    makes = """\
        #!/bin/sh
        mkdir -p index/fragment && printf x > index/pagefind.js && printf x > index/pagefind-ui.js
        printf x > index/fragment/a.pf_fragment
        """
    good = fake_pagefind(tmp_path, makes, "good")
    assert index_files(site, good) == {
        "pagefind/fragment/a.pf_fragment": b"x",
        "pagefind/pagefind.js": b"x",
        "pagefind/parts.json": b"[]\n",
    }
    links = fake_pagefind(tmp_path, makes + "ln -s /etc/passwd index/linked.js\n", "links")
    assert problems(index_files, site, links) == ["pagefind: Pagefind made something that is not a file: 'linked.js'"]
    nothing = fake_pagefind(tmp_path, "#!/bin/sh\nexit 0\n", "nothing")
    assert problems(index_files, site, nothing) == ["pagefind: Pagefind finished without making an index"]
    assert not list(temporary.iterdir())


def test_pagefind_runs_in_a_folder_of_its_own_with_the_documents(sample_index, tmp_path: Path):
    site, _, _ = sample_index
    record = tmp_path / "seen.txt"
    spy = fake_pagefind(
        tmp_path,
        f"""\
        #!/bin/sh
        echo "$@" > {record}
        ls documents/articles documents/notes documents/topics >> {record}
        env | grep -c '^PAGEFIND_' >> {record}
        mkdir index
        """,
    )
    index_files(site, spy)
    seen = record.read_text(encoding="utf-8").split("\n")
    assert seen[0] == ("--site documents --output-path index --root-selector main --force-language en --keep-index-url")
    assert "alpha.html" in seen and "idlib.html" in seen and "sorties.html" in seen
    assert seen[-2] == "0"  # none of Pagefind's own settings variables reach it


@pytest.mark.parametrize("kept_index", [False, True], ids=["made", "every-part-kept"])
def test_the_temporary_folders_of_killed_builds_are_removed_and_no_others(
    sample_index, tmp_path: Path, temporary: Path, kept_index: bool
):
    site, _, index = sample_index
    cache = tmp_path / "cache"
    if kept_index:  # Pagefind need not run, and no temporary folder is made: the killed builds' still go
        search.make_index(search.search_input(site), cache=cache)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    dead = int(gone.stdout)
    abandoned = temporary / f"{search.TEMPORARY_PREFIX}{dead}-abc"
    (abandoned / "0" / "documents").mkdir(parents=True)
    (abandoned / "0" / "documents" / "a.html").write_text("<p>left behind</p>")
    kept = [
        temporary / f"{search.TEMPORARY_PREFIX}{os.getpid()}-def",  # a running build's (this process)
        temporary / f"{search.TEMPORARY_PREFIX}x{dead}-ghi",  # not named by a build
        temporary / f"other-{dead}-jkl",
        temporary / f"{dead}-mno",  # a process id, but not after the prefix
    ]
    for folder in kept:
        folder.mkdir()
    (temporary / f"{search.TEMPORARY_PREFIX}{dead}-file").write_text("a file, not a folder")
    assert search.make_index(search.search_input(site), cache=cache) == index
    assert sorted(temporary.iterdir()) == sorted([*kept, temporary / f"{search.TEMPORARY_PREFIX}{dead}-file"])


def test_a_small_sites_index_is_made_in_memory_unless_a_temporary_folder_is_named(
    sample_index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    memory = tmp_path / "memory"
    memory.mkdir()
    monkeypatch.setattr(search, "MEMORY_FOLDER", memory)
    for name in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.delenv(name, raising=False)
    small = search.MEMORY_FOLDER_BYTES // 8
    assert search.temporary_base(small) == memory
    assert search.temporary_base(0) != memory  # nothing known about the site's size
    assert search.temporary_base(search.MEMORY_FOLDER_BYTES + 1) != memory
    with monkeypatch.context() as patch:
        patch.setattr(search, "MEMORY_FOLDER", tmp_path / "missing")
        assert search.temporary_base(small) == Path(tempfile.gettempdir())
    free = shutil.disk_usage(memory)
    with monkeypatch.context() as patch:  # no room to spare
        patch.setattr(search.shutil, "disk_usage", lambda _: free._replace(free=4 * small - 1))
        assert search.temporary_base(small) != memory
    # The sample site is small: its build makes its temporary folder in memory, and leaves nothing there.
    site, _, index = sample_index
    made: list[Path] = []
    real_mkdtemp = tempfile.mkdtemp
    monkeypatch.setattr(tempfile, "mkdtemp", lambda **kw: made.append(Path(real_mkdtemp(**kw))) or made[-1])
    assert search.make_index(search.search_input(site)) == index
    assert [folder.parent for folder in made] == [memory] and not list(memory.iterdir())
    for name, value in (("TMPDIR", str(tmp_path)), ("TEMP", str(tmp_path))):
        with monkeypatch.context() as patch:
            patch.setenv(name, value)
            patch.setattr(tempfile, "tempdir", None)  # what it found before
            assert search.temporary_base(small) == tmp_path


def test_a_temporary_folder_that_cannot_be_written_is_a_problem(
    sample_index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    site, _, _ = sample_index
    temporary_in(tmp_path / "missing", monkeypatch)
    [problem] = problems(index_files, site)
    assert problem.startswith("pagefind: cannot make a temporary folder for Pagefind: ")
    full = tmp_path / "full"
    full.mkdir()
    temporary_in(full, monkeypatch)
    real_write = Path.write_text

    def disk_full(self: Path, *args: Any, **kwargs: Any) -> int:
        if self.suffix == ".html":
            raise OSError(28, "No space left on device")
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", disk_full)
    [problem] = problems(index_files, site)
    assert problem.startswith("pagefind: cannot write the search documents in ")
    assert problem.endswith(": No space left on device")
    assert not list(full.iterdir())


def test_pagefind_that_fails_says_why(sample_index, tmp_path: Path, temporary: Path):
    site, _, _ = sample_index
    binary = fake_pagefind(tmp_path, "#!/bin/sh\necho 'pagefind: broken install' >&2\nexit 3\n")
    assert problems(index_files, site, binary) == [
        "pagefind: Pagefind failed (exit status 3): pagefind: broken install"
    ]
    assert not list(temporary.iterdir())


def test_pagefind_that_hangs_is_stopped(sample_index, tmp_path: Path, temporary: Path):
    site, _, _ = sample_index
    binary = fake_pagefind(tmp_path, "#!/bin/sh\nexec sleep 60\n")
    assert problems(search.make_index, search.search_input(site), binary, timeout=0.5) == [
        "pagefind: Pagefind did not finish within 0.5 s and was stopped"
    ]
    assert not list(temporary.iterdir())


def test_a_missing_binary_says_how_to_install_it(sample_index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    site, _, _ = sample_index
    [missing] = problems(index_files, site, tmp_path / "no-such-pagefind")
    assert missing.startswith(f"pagefind: cannot run Pagefind ({tmp_path / 'no-such-pagefind'}): ")
    assert missing.endswith("; install the requirements: python -m pip install -r requirements.txt")
    import pagefind_bin

    def not_there() -> Path:
        raise FileNotFoundError("Could not find any of [...]")

    monkeypatch.setattr(pagefind_bin, "get_executable", not_there)
    assert problems(index_files, site) == [
        "pagefind: Pagefind's binary is not installed; install the requirements: "
        "python -m pip install -r requirements.txt"
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
    assert stderr.getvalue() == "pagefind: Pagefind failed (exit status 2): no index today\n1 error in 1 file\n"
    assert not out.exists()


def test_a_build_that_fails_while_pagefind_runs_stops_it_and_leaves_nothing_behind(
    make_content: ContentMaker, tmp_path: Path, temporary: Path, monkeypatch: pytest.MonkeyPatch
):
    started = []
    real_start = search.start_index

    def start(*args: Any, **kwargs: Any) -> search.IndexJob:
        job = real_start(*args, **kwargs)
        started.append((job, job._running))
        return job

    def failing(*_: Any, **__: Any) -> Iterator[tuple[str, bytes]]:
        yield "index.html", b"<!DOCTYPE html>"
        raise RuntimeError("rendering broke")

    monkeypatch.setattr(search, "start_index", start)
    monkeypatch.setattr(pipeline, "stream_site", failing)
    with pytest.raises(RuntimeError, match="rendering broke"):
        pipeline.build(make_content(), tmp_path / "site", TEMPLATES)
    [(job, pagefind)] = started
    assert pagefind is not None and pagefind.returncode is not None  # stopped (or done), and waited for
    assert not job.folder.exists()
    assert not list(temporary.iterdir()) and not (tmp_path / "site").exists()


def _preview(state: pipeline.PreviewState, content: Path, out: Path, changed: set[Path], **options: Any):
    return pipeline.preview_build(
        state, content, out, TEMPLATES, changed, shown=str(content), base_url=None, origin=None, **options
    )


def _edited_with_index_left(
    make_content: ContentMaker, tmp_path: Path, edited: str, old: str, new: str
) -> tuple[Path, Path, pipeline.PreviewBuild]:
    """A first preview build, then `old` made `new` in the content file `edited`, built leaving the index."""
    content, out = make_content(), tmp_path / "out"
    first = _preview(pipeline.PreviewState(), content, out, set())
    file = content / edited
    file.write_text(file.read_text().replace(old, new))
    return content, out, _preview(first.state, content, out, {file}, search_now=False)


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
    assert (again.written, again.removed, again.seconds) == ((), (), ())  # nor are the data files made again
    style_only = _preview(indexed.state, content, out, {TEMPLATES / "assets" / "style.css"})
    assert not any(search.is_index_file(path) for path in style_only.written)


def test_the_preview_keeps_the_search_documents_converter_while_the_notes_titles_stay(
    make_content: ContentMaker, tmp_path: Path
):
    content, out = make_content(), tmp_path / "out"
    first = _preview(pipeline.PreviewState(), content, out, set())
    converter = first.state.markdown
    assert converter is not None and converter.has("Both give the same figure.")
    topic = content / "annotations" / "sorties.yml"
    topic.write_text(topic.read_text().replace("Both give the same figure.", "Both give the same count."))
    edited = _preview(first.state, content, out, {topic})
    assert edited.state.markdown is converter and "articles/alpha.html" in edited.written
    note = content / "notes" / "idlib.md"
    note.write_text(note.read_text().replace("title: Idlib", "title: Idlib Province"))
    renamed = _preview(edited.state, content, out, {note})
    assert renamed.state.markdown is not converter  # [[idlib]] now reads "Idlib Province"
    fragment = fragments(read_index(out))["/notes/andrei-kartapolov.html"]
    assert "campaign in Idlib Province" in fragment["content"]
    pipeline.build(content, tmp_path / "full", TEMPLATES)
    assert read_tree(out) == read_tree(tmp_path / "full")


def test_the_preview_makes_again_only_the_index_parts_whose_documents_changed(
    make_content: ContentMaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pagefind_runs: list[str]
):
    monkeypatch.setattr(search, "PART_DOCUMENTS", 2)
    content, out, cache = make_content(), tmp_path / "out", tmp_path / "cache"
    first = _preview(pipeline.PreviewState(), content, out, set(), cache=cache)
    parts = len(json.loads(read_index(out)["pagefind/parts.json"])) + 1
    assert parts > 2 and pagefind_runs == [str(number) for number in range(parts)]
    pagefind_runs.clear()
    note = content / "notes" / "idlib.md"
    note.write_text(note.read_text() + "\nA sentence added.\n")
    edited = _preview(first.state, content, out, {note}, cache=cache)
    assert not edited.problems and len(pagefind_runs) == 1  # the part holding the note's document
    assert "A sentence added." in fragments(read_index(out))["/notes/idlib.html"]["content"]
    pipeline.build(content, tmp_path / "full", TEMPLATES)
    assert read_tree(out) == read_tree(tmp_path / "full")


def test_the_command_line_preview_keeps_index_parts_where_builds_do(
    make_content: ContentMaker, monkeypatch: pytest.MonkeyPatch
):
    from explainer import serve
    from explainer.cli import cache_folder

    given: dict[str, Any] = {}
    monkeypatch.setattr(serve, "serve", lambda *args, **options: given.update(options) or 0)
    assert cli_main(["serve", "--content", str(make_content())], TEMPLATES, io.StringIO(), io.StringIO()) == 0
    assert given["cache"] == cache_folder()


def read_index(site: Path) -> dict[str, bytes]:
    return {path: data for path, data in read_tree(site).items() if search.is_index_file(path) and data is not None}


def test_a_pagefind_failure_in_the_preview_is_a_problem_until_it_works(
    make_content: ContentMaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    content, out = make_content(), tmp_path / "out"
    first = _preview(pipeline.PreviewState(), content, out, set())
    article = content / "articles" / "beta.md"
    article.write_text(article.read_text().replace("Officials said", "Officials then said"))
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(fake_pagefind(tmp_path, "#!/bin/sh\nexit 9\n")))
    failed = _preview(first.state, content, out, {article})
    assert [str(p) for p in failed.problems] == ["pagefind: Pagefind failed (exit status 9)"]
    assert "articles/beta.html" in failed.written  # the pages are in place; only the index is behind
    monkeypatch.delenv("PAGEFIND_BINARY_PATH")
    fixed = pipeline.preview_index(failed.state, out)
    assert not fixed.problems and fixed.written
    pipeline.build(content, tmp_path / "full", TEMPLATES)
    assert read_tree(out) == read_tree(tmp_path / "full")


def test_the_preview_s_first_build_makes_the_index_while_it_renders_the_pages(
    make_content: ContentMaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    content, out = make_content(), tmp_path / "out"
    steps: list[str] = []
    start_index, render_all = search.start_index, pipeline.render_all
    monkeypatch.setattr(search, "start_index", lambda *a, **k: steps.append("index") or start_index(*a, **k))
    monkeypatch.setattr(pipeline, "render_all", lambda *a: steps.append("pages") or render_all(*a))
    first = _preview(pipeline.PreviewState(), content, out, set(), search_now=False)
    assert steps == ["index", "pages"]
    assert first.state.searched and any(search.is_index_file(path) for path in first.written)
    pipeline.build(content, tmp_path / "full", TEMPLATES)
    assert read_tree(out) == read_tree(tmp_path / "full")
    after = pipeline.preview_index(first.state, out)  # nothing left to do: no data files, no Pagefind
    assert (after.written, after.removed, after.seconds) == ((), (), ())


def test_a_pagefind_failure_in_the_preview_s_first_build_is_left_for_the_index_step_to_report(
    make_content: ContentMaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    content, out = make_content(), tmp_path / "out"
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(fake_pagefind(tmp_path, "#!/bin/sh\nexit 9\n")))
    first = _preview(pipeline.PreviewState(), content, out, set(), search_now=False)
    assert not first.problems and "index.html" in first.written
    assert not any(search.is_index_file(path) for path in first.written)
    failed = pipeline.preview_index(first.state, out)
    assert [str(p) for p in failed.problems] == ["pagefind: Pagefind failed (exit status 9)"]
    monkeypatch.delenv("PAGEFIND_BINARY_PATH")
    fixed = pipeline.preview_index(failed.state, out)
    assert not fixed.problems and any(search.is_index_file(path) for path in fixed.written)
    pipeline.build(content, tmp_path / "full", TEMPLATES)
    assert read_tree(out) == read_tree(tmp_path / "full")


def test_an_interrupted_preview_index_stops_pagefind_and_is_made_by_the_next(
    make_content: ContentMaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, temporary: Path
):
    content, out, built = _edited_with_index_left(
        make_content, tmp_path, "articles/beta.md", "Officials said", "Officials then said"
    )
    before = read_tree(out)

    # Asked before anything is done: nothing is.
    at_once = pipeline.preview_index(built.state, out, interrupted=lambda: True)
    assert (at_once.interrupted, at_once.problems, at_once.written, at_once.state) == (True, (), (), built.state)
    assert read_tree(out) == before

    # Asked while Pagefind runs (a stand-in that would run for a minute): it is stopped, and its folder removed.
    started = tmp_path / "pagefind.pid"
    script = f"#!/bin/sh\necho $$ > {started}\nexec sleep 60\n"
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(fake_pagefind(tmp_path, script)))

    def pagefind_started() -> bool:
        return started.exists() and started.read_text().endswith("\n")

    waited = time.monotonic()
    stopped = pipeline.preview_index(built.state, out, interrupted=pagefind_started)
    assert time.monotonic() - waited < 30
    assert stopped.interrupted and not stopped.problems
    assert not any(search.is_index_file(path) for path in stopped.written)
    assert stopped.state.searched == built.state.searched  # the index is still to be made
    with pytest.raises(ProcessLookupError):
        os.kill(int(started.read_text()), 0)
    assert list(temporary.iterdir()) == []

    monkeypatch.delenv("PAGEFIND_BINARY_PATH")
    indexed = pipeline.preview_index(stopped.state, out)
    assert not indexed.interrupted and any(search.is_index_file(path) for path in indexed.written)
    pipeline.build(content, tmp_path / "full", TEMPLATES)
    assert read_tree(out) == read_tree(tmp_path / "full")


def test_an_interrupted_preview_gives_up_the_data_files_between_pieces_and_leaves_the_output_as_it_was(
    make_content: ContentMaker, tmp_path: Path
):
    content, out, built = _edited_with_index_left(
        make_content, tmp_path, "annotations/sorties.yml", "Both give the same figure.", "Both give the same count."
    )
    before = read_tree(out)
    staged: list[bool] = []  # at each question: whether a data file was then written beside its place

    def on_the_fourth_question() -> bool:
        staged.append(any(path.name.endswith(PARTIAL) for path in out.rglob("*")))
        return len(staged) == 4

    stopped = pipeline.preview_index(built.state, out, interrupted=on_the_fourth_question)
    assert (stopped.interrupted, stopped.problems, stopped.written, stopped.state) == (True, (), (), built.state)
    assert staged[-1], "given up before a data file was staged: the test no longer tests discarding it"
    assert read_tree(out) == before  # nothing replaced, and nothing left beside
    indexed = pipeline.preview_index(stopped.state, out)
    assert {"data/explainer.json", "data/annotations.csv"} <= set(indexed.written)
    pipeline.build(content, tmp_path / "full", TEMPLATES)
    assert read_tree(out) == read_tree(tmp_path / "full")


# --- In the browser ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    folder: Path
    url: str  # the site's address, ending in /


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Served]]:
    """The SEARCHED sample and the Syria site, built and served at /sub/path/ and /syria/ of one local server;
    and the sample with its index in three parts, at /parted/."""
    root = tmp_path_factory.mktemp("served")
    content = write_tree(tmp_path_factory.mktemp("content"), SEARCHED)
    with serve(root) as url:
        build(content, root / SUB_PATH)
        build(ROOT / "content", root / "syria")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(search, "PART_DOCUMENTS", 2)  # as a large site is: an index in parts
            build(content, root / "parted")
        yield {
            "sample": Served(root / SUB_PATH, f"{url}{SUB_PATH}/"),
            "syria": Served(root / "syria", f"{url}syria/"),
            "parted": Served(root / "parted", f"{url}parted/"),
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


def test_an_index_in_parts_finds_what_the_whole_index_finds(context: Any, served: dict[str, Served]):
    assert json.loads((served["parted"].folder / "pagefind" / "parts.json").read_text()) == ["part-2/", "part-3/"]
    found = {}
    for name in ("sample", "parted"):
        # "quixotically": in both articles' documents (the first part) and the topic's (the third).
        page, recorder = open_search(context, served[name], "quixotically")
        found[name] = (page.text_content("#search-status"), sorted(result_links(page)))
        assert recorder.problems == []
        assert any("/parted/pagefind/part-3/" in url for url in recorder.requests) == (name == "parted")
    assert found["parted"] == found["sample"]
    assert "topics/sorties.html" in found["parted"][1]


def test_a_word_of_a_comment_leads_to_the_passage(context: Any, served: dict[str, Served]):
    site = served["sample"]
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


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Kartapolov", "notes/andrei-kartapolov.html"),  # a note (and the articles naming him)
        ("terrorists", "articles/beta.html"),  # words only in an article's text
        ("north-western province", "notes/idlib.html"),  # a note's summary
    ],
)
def test_notes_and_articles_are_found(context: Any, served: dict[str, Served], query: str, expected: str):
    page, recorder = open_search(context, served["sample"], query)
    assert expected in result_links(page)
    assert not recorder.problems, recorder.report(f"searching {query!r}")


def test_excerpts_keep_only_their_marks(context: Any, served: dict[str, Served]):
    page, recorder = open_search(context, served["sample"], "bold")
    results = page.locator("#search-results")
    assert page.evaluate("() => window.hacked") is None
    tags = page.eval_on_selector_all(".search-excerpt *", "nodes => [...new Set(nodes.map(n => n.localName))]")
    assert tags == ["mark"]
    assert "<img src=x" in results.inner_text() and "<b>bold</b> & co." in results.inner_text()
    marked = page.eval_on_selector_all(".search-excerpt mark", "marks => marks.map(m => m.textContent)")
    assert marked and all("bold" in text for text in marked)  # Pagefind counts the tags' letters as the word's
    assert not recorder.problems, recorder.report("searching 'bold'")


def test_the_header_box_searches_from_any_page_by_keyboard(context: Any, served: dict[str, Served]):
    site = served["sample"]
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


def test_show_more_adds_results_and_moves_focus_to_them(context: Any, served: dict[str, Served]):
    site = served["syria"]
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


def test_without_javascript_the_page_says_search_needs_it(browser: Any, served: dict[str, Served]):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{served['sample'].url}search.html?q=sorties")
        assert "Search needs JavaScript" in page.inner_text("main")
    finally:
        context.close()


def test_opened_from_disk_the_page_says_search_needs_a_server(context: Any, served: dict[str, Served]):
    folder = served["sample"].folder
    page = context.new_page()
    recorder = Recorder(folder.as_uri() + "/").attach(page)
    page.goto(f"{(folder / 'search.html').as_uri()}?q=sorties")
    page.wait_for_selector("#search-offline", state="visible")
    assert "served over http or https" in page.inner_text("#search-offline")
    assert "python build.py serve" in page.inner_text("#search-offline")
    assert page.is_hidden("#search-form") and page.is_hidden("#search-output")
    assert not recorder.problems, recorder.report("search.html from disk")
    assert not any("/pagefind/" in url for url in recorder.requests)


def test_a_missing_index_is_said_plainly(context: Any, served: dict[str, Served]):
    site = served["sample"]
    page = context.new_page()
    page.route("**/pagefind/pagefind.js", lambda route: route.fulfill(status=404, body="missing"))
    page.goto(f"{site.url}search.html?q=sorties")
    page.wait_for_selector("#search-failed", state="visible")
    assert page.is_hidden("#search-form")


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


def test_each_fact_of_a_note_is_a_word_sequence_of_its_own_in_the_index(sample_index):
    # Pagefind joins the text of adjacent inline elements: "journalistsAndre" would match neither word.
    _, _, index = sample_index
    content = fragments(index)["/notes/andrei-kartapolov.html"]["content"]
    assert content == (
        "Andrei Kartapolov. Person. A Russian general who briefed journalists. Andre Kartapolov. "
        "He spoke about the campaign in Idlib."
    )
