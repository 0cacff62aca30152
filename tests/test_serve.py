"""The live preview, as editors use it: `python build.py serve` in a subprocess, edited while it runs."""

from __future__ import annotations

import asyncio
import io
import json
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from explainer import search
from explainer.cli import main
from explainer.serve import port_is_free, site_path

from .conftest import ROOT, TEMPLATES, ContentMaker
from .preview_support import Preview, fetch, preview, raw_get, save, wait_until

BASE_URL = "https://example.org/sub/"


def _check_lines(content: Path) -> list[str]:
    """What `python build.py check` prints about a content folder."""
    out, err = io.StringIO(), io.StringIO()
    main(["check", "--content", str(content)], templates=TEMPLATES, stdout=out, stderr=err)
    return err.getvalue().splitlines()


def test_an_edited_annotation_is_served_after_the_save(make_content: ContentMaker, tmp_path: Path) -> None:
    content = make_content()
    with preview(content, tmp_path / "out") as running:
        page = f"{running.url}/articles/beta.html"
        assert "Both give the same figure." in fetch(page)[1]
        save(content / "annotations" / "sorties.yml", "Both give the same figure.", "Both give the edited figure.")
        status, body = wait_until(page, lambda status, body: "edited figure" in body)
        assert status == 200
        assert "Both give the same figure." not in body
        # Written through to the output folder too, which is what the preview serves.
        assert "edited figure" in (tmp_path / "out" / "articles" / "beta.html").read_text(encoding="utf-8")
        running.wait_for_output("Rebuilt")


def test_a_broken_quote_shows_every_problem_until_fixed(make_content: ContentMaker, tmp_path: Path) -> None:
    content = make_content()
    out = tmp_path / "out"
    with preview(content, out) as running:
        page = f"{running.url}/articles/beta.html"
        good = fetch(page)[1]
        built = (out / "articles" / "beta.html").read_bytes()
        save(content / "annotations" / "sorties.yml", "quote: over 60 sorties", "quote: over 70 sorties")
        save(content / "notes" / "idlib.md", "[[andrei-kartapolov|the general]]", "[[andrei-kartapolo]]")
        expected = _check_lines(content)
        assert len(expected) == 3  # two problems and the summary
        status, body = wait_until(page, lambda status, body: expected[-1] in body)
        assert status == 500
        shown = re.findall(r"<li><code>(.*?)</code></li>", body)
        assert [_unescape(line) for line in shown] == expected[:-1]
        assert "/livereload.js?" in body  # so the page comes back by itself
        # Every HTML page shows the problems; the assets of the last good build are still served.
        assert expected[-1] in fetch(f"{running.url}/index.html")[1]
        assert fetch(f"{running.url}/assets/style.css")[0] == 200
        running.wait_for_output(expected[-1])
        for line in expected:
            assert line in running.output  # the terminal says the same
        assert (out / "articles" / "beta.html").read_bytes() == built  # the last good build stays

        save(content / "annotations" / "sorties.yml", "quote: over 70 sorties", "quote: over 60 sorties")
        save(content / "notes" / "idlib.md", "[[andrei-kartapolo]]", "[[andrei-kartapolov|the general]]")
        status, body = wait_until(page, lambda status, body: status == 200)
        assert _without_reload_script(body) == _without_reload_script(good)
        assert running.process.poll() is None


def test_the_preview_starts_with_broken_content_and_serves_it_once_fixed(
    make_content: ContentMaker, tmp_path: Path
) -> None:
    content = make_content({"notes/idlib.md": "---\ntitle: Idlib\n---\nSee [[nowhere]].\n"})
    with preview(content, tmp_path / "out") as running:
        status, body = fetch(f"{running.url}/index.html")
        assert status == 500
        assert "unknown note &#x27;nowhere&#x27;" in body
        save(content / "notes" / "idlib.md", "[[nowhere]]", "[[andrei-kartapolov]]")
        wait_until(f"{running.url}/articles/beta.html", lambda status, body: status == 200)


def test_two_saves_100_ms_apart_both_land(make_content: ContentMaker, tmp_path: Path) -> None:
    content = make_content()
    annotations = content / "annotations" / "sorties.yml"
    with preview(content, tmp_path / "out") as running:
        page = f"{running.url}/articles/beta.html"
        save(annotations, "Both give the same figure.", "First save.")
        time.sleep(0.1)
        save(content / "articles" / "beta.md", "title: Ministry counts the sorties", "title: Ministry recounts")
        time.sleep(0.1)
        # The same file again, with a text of the same length.
        save(annotations, "First save.", "Third save.")
        wait_until(page, lambda status, body: "Third save." in body and "Ministry recounts" in body)
        assert "First save." not in fetch(page)[1]


def test_a_save_while_the_search_index_is_made_is_built_at_once(
    make_content: ContentMaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pagefind runs after the reload; a save meanwhile stops it rather than wait for it."""
    content = make_content()
    indexed, hanging = tmp_path / "indexed-once", tmp_path / "hanging"
    # Pagefind itself for the first index; after that, a stand-in that would take two minutes.
    script = tmp_path / "pagefind"
    script.write_text(
        f"#!/bin/sh\nif [ -e {indexed} ]; then touch {hanging}; exec sleep 120; fi\n"
        f'touch {indexed}\nexec {search._binary()} "$@"\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(script))
    annotations = content / "annotations" / "sorties.yml"
    with preview(content, tmp_path / "out") as running:
        page = f"{running.url}/articles/beta.html"
        save(annotations, "Both give the same figure.", "First save.")
        wait_until(page, lambda status, body: "First save." in body)
        deadline = time.monotonic() + 30
        while not hanging.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hanging.exists()
        save(annotations, "First save.", "Second save.")
        wait_until(page, lambda status, body: "Second save." in body)
        running.wait_for_output("Saved again: the search index is updated after the next build.")


def test_a_page_from_an_older_build_reloads_as_soon_as_it_connects(make_content: ContentMaker, tmp_path: Path) -> None:
    """A build can finish between a page's load and its connecting: the page still reloads."""
    content = make_content()
    with preview(content, tmp_path / "out") as running:
        current = re.search(r"snipver=([\w-]+)", fetch(f"{running.url}/index.html")[1])
        assert current is not None
        socket_url = f"ws://127.0.0.1:{running.port}/livereload"
        assert asyncio.run(_hello(socket_url, current.group(1))) == ["hello"]
        assert asyncio.run(_hello(socket_url, "0-0")) == ["hello", "reload"]


def test_a_template_change_rebuilds_every_page(tmp_path: Path, make_content: ContentMaker) -> None:
    templates = tmp_path / "code" / "templates"
    shutil.copytree(TEMPLATES, templates)
    content = make_content()
    with preview(content, tmp_path / "out", script=_copy_program(tmp_path / "code")) as running:
        save(templates / "base.html", '<a class="skip-link"', '<a data-edited class="skip-link"')
        for page in ("index.html", "articles/beta.html", "notes/idlib.html", "compare/alpha--beta.html"):
            wait_until(f"{running.url}/{page}", lambda status, body: "data-edited" in body)
        save(templates / "base.html", "{% block main %}", "{% block main %")
        body = wait_until(f"{running.url}/index.html", lambda status, body: status == 500)[1]
        assert f"{templates.resolve()}/base.html:" in _unescape(body)


def test_a_code_change_restarts_the_preview_with_the_new_code(tmp_path: Path, make_content: ContentMaker) -> None:
    code = tmp_path / "code"
    shutil.copytree(TEMPLATES, code / "templates")
    content = make_content()
    with preview(content, tmp_path / "out", script=_copy_program(code)) as running:
        page = f"{running.url}/topics/sorties.html"
        render = code / "explainer" / "render.py"
        save(render, '"corroborates": ("corroborates",', '"corroborates": ("corroborates" +,')
        body = wait_until(page, lambda status, body: status == 500)[1]
        assert re.search(rf"{re.escape(str(render))}:\d+: the changed code does not run: SyntaxError", _unescape(body))
        save(render, '"corroborates": ("corroborates" +,', '"corroborates": ("agrees with",')
        running.wait_for_output("restarting")
        wait_until(page, lambda status, body: status == 200 and "agrees with" in body)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Preview, Path]]:
    """One preview, left unedited, of the sample with a base_url that has a path; and its output folder."""
    from .conftest import SAMPLE, write_tree

    root = tmp_path_factory.mktemp("published")
    content = write_tree(root / "content", SAMPLE)
    (root / "secret.txt").write_text("TOP SECRET", encoding="utf-8")
    with preview(content, root / "out", "--base-url", BASE_URL) as running:
        yield running, root / "out"


def test_the_site_is_served_under_the_path_of_its_base_url(published: tuple[Preview, Path]) -> None:
    running, _ = published
    status, body = fetch(f"{running.url}/sub/articles/beta.html")
    assert status == 200
    assert 'href="../assets/style.css"' in body
    # Absolute links (canonical, the 404 page) point at the preview, under the same path.
    assert f'<link rel="canonical" href="{running.url}/sub/articles/beta.html">' in body
    assert fetch(f"{running.url}/")[1] == fetch(f"{running.url}/sub/")[1]  # the root redirects there
    assert fetch(f"{running.url}/sub/compare")[1] == fetch(f"{running.url}/sub/compare/index.html")[1]


def test_a_missing_path_gets_the_sites_own_404_page_with_live_reload(published: tuple[Preview, Path]) -> None:
    running, out = published
    own = (out / "404.html").read_text(encoding="utf-8")
    for missing in ("/sub/articles/no-such-article.html", "/sub/no/such/folder/", "/articles/beta.html"):
        status, body = fetch(running.url + missing)
        assert status == 404, missing
        assert _without_reload_script(body) == own
        assert "/livereload.js?" in body
    assert f'href="{running.url}/sub/assets/style.css"' in own


@pytest.mark.parametrize(
    "path",
    [
        "/sub/../secret.txt",
        "/sub/../../secret.txt",
        "/sub/articles/../../secret.txt",
        "/sub/%2e%2e/secret.txt",
        "/sub/%2E%2E/%2e%2e/secret.txt",
        "/sub/..%2fsecret.txt",
        "/sub/articles/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/sub/%2e%2e%5csecret.txt",
        "/sub/assets/%00/../../secret.txt",
        "/sub/%ff%fe/secret.txt",
        "/../secret.txt",
        "/%2e%2e/secret.txt",
    ],
)
def test_paths_that_leave_the_site_are_refused(published: tuple[Preview, Path], path: str) -> None:
    running, _ = published
    status, body = raw_get(running.port, path)
    assert status == 400, path
    assert b"TOP SECRET" not in body


def test_only_the_builds_own_files_are_served(published: tuple[Preview, Path]) -> None:
    running, _ = published
    assert raw_get(running.port, "/sub/.explainer-build")[0] == 404
    assert raw_get(running.port, "/sub/data/explainer.json")[0] == 200


@pytest.mark.parametrize(
    ("path", "file"),
    [
        ("", "index.html"),
        ("articles/beta.html", "articles/beta.html"),
        ("compare/", "compare/index.html"),
        ("notes/caf%C3%A9.html", "notes/café.html"),
        ("..", None),
        ("a/./b", None),
        ("%2e%2e/x", None),
        ("a%2fb", None),
        ("a%5cb", None),
        ("a%00b", None),
        ("%c3%28", None),
    ],
)
def test_site_path_maps_url_paths_to_files_or_refuses_them(path: str, file: str | None) -> None:
    assert site_path(path) == file


def test_a_taken_port_is_refused_with_the_next_free_one(make_content: ContentMaker, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
        result = subprocess.run(
            [sys.executable, str(ROOT / "build.py"), "serve", "--content", str(make_content()),
             "--out", str(tmp_path / "out"), "--port", str(port)],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use; try --port " in result.stderr


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def _without_reload_script(page: str) -> str:
    return re.sub(r'<script src="/livereload\.js\?[^"]*"></script>', "", page)


async def _hello(url: str, build: str) -> list[str]:
    """Connect as livereload.js does, saying the page's build; return the commands received within a moment."""
    from tornado.websocket import websocket_connect

    connection = await websocket_connect(url)
    hello = {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"], "snipver": build}
    await connection.write_message(json.dumps(hello))
    commands = []
    try:
        while len(commands) < 2:
            message = await asyncio.wait_for(connection.read_message(), 0.5)
            if message is None:
                break
            commands.append(json.loads(message)["command"])
    except TimeoutError:
        pass
    connection.close()
    return commands


def _copy_program(folder: Path) -> Path:
    """Copy build.py and the explainer package into `folder` (beside its templates); return the copy's build.py."""
    shutil.copytree(ROOT / "explainer", folder / "explainer", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "build.py", folder / "build.py")
    return folder / "build.py"
