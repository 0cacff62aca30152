"""Rendering: pages in memory, their links, marks and escaping, and a snapshot of the resolved model."""

from __future__ import annotations

import dataclasses
import html
import io
import json
import os
import re
import shutil
import textwrap
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from explainer import parallel, pipeline, render
from explainer.export import model_json
from explainer.load import load_theme
from explainer.markup import MarkdownRenderer
from explainer.pipeline import check
from explainer.render import (
    FULL_TABLES_LIMIT,
    SHARED_LIMITS,
    Memo,
    Page,
    make_renderers,
    render_page,
    render_site,
    render_text,
    stream_site,
)

from .conftest import ROOT, SAMPLE, TEMPLATES, read_tree

SNAPSHOT = Path(__file__).parent / "snapshots" / "sample-model.json"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "cite") and value is not None:
                self.links.append(value)
            if name == "id" and value:
                self.ids.add(value)


def _parse(page: bytes) -> _Links:
    parser = _Links()
    parser.feed(page.decode("utf-8"))
    return parser


def _pages(folder: Path, base_url: str | None = None) -> dict[str, bytes]:
    return render_site(check(folder, base_url=base_url), load_theme(TEMPLATES))


def _assert_links_resolve(pages: dict[str, bytes], allowed_external: set[str] = frozenset()) -> int:
    """Every link is relative and lands on a file of the site (and an id on that page)."""
    parsed = {path: _parse(body) for path, body in pages.items() if path.endswith(".html")}
    checked = 0
    for path, page in parsed.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                assert link in allowed_external, f"{path}: link to another host: {link}"
                continue
            target = os.path.normpath(os.path.join(os.path.dirname(path), unquote(parts.path))) if parts.path else path
            assert target in pages, f"{path}: broken link {link}"
            if parts.fragment and target in parsed:
                assert parts.fragment in parsed[target].ids, f"{path}: no #{parts.fragment} in {target}"
            checked += 1
    return checked


def test_every_internal_link_resolves_and_none_leaves_the_site(make_content) -> None:
    pages = _pages(make_content())
    assert _assert_links_resolve(pages) > 30


def test_the_real_explainer_links_resolve_too() -> None:
    pages = _pages(ROOT / "content")
    assert _assert_links_resolve(pages) > 100


def test_article_text_is_exactly_the_source_text_with_marks(make_content) -> None:
    site = check(make_content())
    markup = str(render_text(site, site.articles["alpha"]))
    assert html.unescape(re.sub(r"<[^>]+>", "", markup)) == site.articles["alpha"].text
    assert '<mark class="passage rel-corroborates" id="p-sixty-sorties-1"' in markup
    assert (
        '<a href="#ann-sixty-sorties" aria-label="more than 60 sorties (corroborates)">more than 60 sorties</a>'
        in markup
    )
    assert '<h2 id="para-2">Strikes</h2>' in markup


def test_the_first_mention_of_a_note_in_each_paragraph_links_to_it(make_content) -> None:
    site = check(make_content())
    markup = str(render_text(site, site.articles["alpha"]))
    assert html.unescape(re.sub(r"<[^>]+>", "", markup)) == site.articles["alpha"].text
    # "Idlib" stands twice in paragraph 3, the first time inside a passage: the second is linked.
    linked = '<a class="mention" href="../notes/idlib.html" title="Idlib">Idlib</a>'
    assert markup.count(linked) == 1
    assert markup.index(linked) < markup.index(" again on Sunday") < markup.index(linked) + len(linked) + 1
    assert [(m.note, m.paragraph) for m in site.mentions["alpha"]] == [("idlib", 3), ("idlib", 3)]


def test_side_by_side_passages_link_to_their_counterpart(make_content) -> None:
    pages = _pages(make_content())
    compare = pages["compare/alpha--beta.html"].decode()
    assert '<a href="#p-sixty-sorties-2" aria-label="more than 60 sorties (corroborates)">' in compare
    assert '<a href="#p-sixty-sorties-1" aria-label="over 60 sorties (corroborates)">' in compare


def test_overlapping_passages_split_into_runs_that_keep_every_annotation(make_content) -> None:
    topic = """\
        title: Overlaps
        annotations:
          - id: outer
            relation: context
            passages:
              - article: beta
                quote: Jets flew over 60 sorties
          - id: inner
            relation: context
            passages:
              - article: beta
                quote: over 60
        """
    site = check(make_content({"annotations/overlaps.yml": topic}))
    markup = str(render_text(site, site.articles["beta"]))
    assert html.unescape(re.sub(r"<[^>]+>", "", markup)) == site.articles["beta"].text
    runs = re.findall(
        r'data-annotations="([^"]+)">(?:<span id="[^"]+"></span>)*<a href="#ann-[^"]+" aria-label="[^"]*">([^<]*)</a>',
        markup,
    )
    by_text = {text: set(ids.split()) for ids, text in runs}
    assert by_text == {
        "Jets flew ": {"outer"},
        "over 60": {"inner", "outer", "sixty-sorties"},
        " sorties": {"outer", "sixty-sorties"},
    }
    for passage_id in ("outer-1", "inner-1", "sixty-sorties-2"):
        assert f'id="p-{passage_id}"' in markup


def test_content_is_never_interpreted_as_markup_or_template(make_content) -> None:
    hostile = "<script>alert(1)</script> {{ 7*7 }} {% if x %}"
    article = f"---\ntitle: '<img src=x onerror=alert(1)> {{{{ 7*7 }}}}'\n---\n{hostile}\n"
    note = (
        "---\ntitle: Idlib\nsummary: '<b>bold</b>'\n---\n"
        "<script>alert(2)</script> [x](javascript:alert(3)) <a href='javascript:alert(4)'>y</a> {{ 7*7 }}\n"
    )
    pages = _pages(make_content({"articles/gamma.md": article, "notes/idlib.md": note}))
    article_page = pages["articles/gamma.html"].decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} {% if x %}" in article_page
    assert "&lt;img src=x onerror=alert(1)&gt; {{ 7*7 }}" in article_page
    note_page = pages["notes/idlib.html"].decode()
    own_script = '<script src="../assets/explainer.js" defer></script>'
    assert note_page.count("<script") == 1 and own_script in note_page
    for needle in ("<b>bold", "<a href='javascript"):
        assert needle not in note_page
    assert not [link for link in _parse(pages["notes/idlib.html"]).links if "javascript" in link]
    assert "{{ 7*7 }}" in note_page and "49" not in note_page


def test_pages_write_out_exactly_what_jinjas_own_escaping_writes(make_content) -> None:
    hostile = "<b>&amp;</b> \"quoted\" 'single' {{ 7*7 }}"
    title = hostile.replace("'", "''")  # in single quotes in YAML
    article = f"---\ntitle: '{title}'\noutlet: '<i>Outlet</i> & co'\n---\n{hostile}\n"
    site, theme = check(make_content({"articles/gamma.md": article})), load_theme(TEMPLATES)
    plain = render.make_environment(theme)
    plain.template_class = jinja2.Template  # Jinja's own escaping: a Markup object for every value written
    plain.context_class = jinja2.runtime.Context  # and its own calls
    quick, own = make_renderers(site, theme), make_renderers(site, theme, plain)
    assert quick.env.template_class is not jinja2.Template
    pages = render.site_pages(site)
    assert {p.path: render_page(site, p, quick) for p in pages} == {p.path: render_page(site, p, own) for p in pages}
    template = quick.env.from_string("{{ value }}")
    assert template.root_render_func.__globals__["escape"] is render.output_escape
    assert template.render(value="<i>") == "&lt;i&gt;"


def _stopping() -> None:
    raise StopIteration


class _Callable:
    def __call__(self, value: str) -> str:
        return value.upper()


@jinja2.pass_context
def _from_context(context: Any, name: str) -> str:
    return f"{name}={context.get(name)}"


# Each template renders alike through the build's environment and Jinja's own (its Template and Context).
CALLS = {
    "function": ("{{ upper('a') }}", "A"),
    "method in a loop": ("{% for x in 'ab' %}{{ x.upper() }}{% endfor %}", "AB"),
    "macro with keywords": ("{% macro m(a, b=2) %}{{ a }}{{ b }}{% endmacro %}{{ m(1, b=3) }}", "13"),
    "macro in a loop": (
        "{% macro m(a) %}<{{ a }}>{% endmacro %}{% for x in '1&' %}{{ m(x) }}{% endfor %}",
        "<1><&amp;>",
    ),
    "call block": ("{% macro m() %}[{{ caller() }}]{% endmacro %}{% call m() %}in{% endcall %}", "[in]"),
    "pass_context in a loop": ("{% for x in [5] %}{% set y = x %}{{ ctx('y') }}{% endfor %}", "y=5"),
    "pass_context in a block": ("{% block b %}{% set y = 7 %}{{ ctx('y') }}{% endblock %}", "y=7"),
    "callable object": ("{{ loud('a') }}", "A"),
    "builtin": ("{{ len('abc') }}", "3"),
    "class": ("{{ range(3) | list }}", "[0, 1, 2]"),
}


@pytest.mark.parametrize("source, expected", CALLS.values(), ids=CALLS.keys())
def test_templates_call_as_jinja_calls(source: str, expected: str) -> None:
    quick = render.make_environment(load_theme(TEMPLATES))
    own = render.make_environment(load_theme(TEMPLATES))
    own.template_class, own.context_class = jinja2.Template, jinja2.runtime.Context
    names = {"upper": str.upper, "ctx": _from_context, "loud": _Callable(), "len": len, "stop": _stopping}
    rendered = [env.from_string(source).render(**names) for env in (quick, own)]
    assert rendered == [expected, expected]
    for env in (quick, own):  # a callable stopping an iteration gives an undefined value, as in Jinja
        with pytest.raises(jinja2.UndefinedError, match="StopIteration"):
            env.from_string("{{ stop() }}").render(**names)


class _HasHtml:
    def __html__(self) -> str:
        return "<em>safe</em>"


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.text().map(Markup),
        st.integers(),
        st.floats(allow_nan=False),
        st.booleans(),
        st.none(),
        st.just(_HasHtml()),
        st.text().map(lambda t: type("Text", (str,), {})(t)),  # a subclass of str is escaped as text
    )
)
def test_output_escape_gives_the_text_markupsafe_escape_gives(value: object) -> None:
    assert render.output_escape(value) == str(escape(value))


def test_markdown_keeps_what_notes_need_and_links_notes_relatively() -> None:
    render = MarkdownRenderer("../", {"idlib": "Idlib"})
    out = str(render("## Heading\n\n*em* **strong** [site](https://example.org) [[idlib]] [[idlib|the province]]"))
    assert "<h2>Heading</h2>" in out
    assert "<em>em</em> <strong>strong</strong>" in out
    assert '<a href="https://example.org">site</a>' in out
    assert '<a class="note-link" href="../notes/idlib.html">Idlib</a>' in out
    assert '<a class="note-link" href="../notes/idlib.html">the province</a>' in out


def test_404_page_links_absolutely_when_the_base_url_is_known(make_content) -> None:
    pages = _pages(make_content(), base_url="https://u.github.io/repo/")
    page = pages["404.html"].decode()
    assert 'href="https://u.github.io/repo/assets/style.css"' in page
    assert 'href="https://u.github.io/repo/index.html"' in page


def test_resolved_model_matches_the_snapshot(make_content) -> None:
    model = json.loads(json.dumps(model_json(check(make_content(), "content"))))
    if os.environ.get("UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        pytest.skip("snapshot written; review it and commit it")
    assert model == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_sitemap_and_open_graph_only_when_the_base_url_is_known(make_content) -> None:
    assert "sitemap.xml" not in _pages(make_content())
    pages = _pages(make_content(), base_url="https://u.github.io/repo/")
    sitemap = pages["sitemap.xml"].decode()
    assert "<loc>https://u.github.io/repo/articles/alpha.html</loc>" in sitemap
    assert "404.html" not in sitemap
    article = pages["articles/alpha.html"].decode()
    assert '<meta property="og:url" content="https://u.github.io/repo/articles/alpha.html">' in article
    assert '<meta property="og:type" content="article">' in article


def test_the_pages_workflow_builds_with_the_pages_base_url_and_deploys_with_the_official_actions() -> None:
    workflow = (ROOT / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8")
    for action in ("actions/configure-pages@", "actions/upload-pages-artifact@", "actions/deploy-pages@"):
        assert action in workflow
    assert '--base-url "${{ steps.pages.outputs.base_url }}/"' in workflow


def test_quoted_passages_are_not_given_a_second_pair_of_quotation_marks(make_content) -> None:
    sorties = textwrap.dedent(SAMPLE["annotations/sorties.yml"])
    sorties = sorties.replace("quote: more than 60 sorties", "quote: '“more than 60 sorties”'")
    index = _pages(make_content({"annotations/sorties.yml": sorties}))["index.html"].decode()
    assert ">“more than 60 sorties”</a>" in index  # the passage's own marks
    assert ">“over 60 sorties”</a>" in index  # marks added around a bare passage
    assert "““" not in index and "””" not in index


# --- Large sites: output that grows with the content, not its square; the same bytes made in parallel ----


def _chain(count: int, per_topic: int = 0) -> dict[str, str | None]:
    """`count` articles, each sharing one annotation with the next (pairs grow with the articles), in one topic
    or in topics of `per_topic` annotations (then topics grow with the articles too)."""
    files: dict[str, str | None] = dict.fromkeys(("articles/alpha.md", "articles/beta.md", "annotations/sorties.yml"))
    entries = []
    for n in range(count):
        files[f"articles/a{n:03d}.md"] = (
            f"---\ntitle: Report {n}\noutlet: Outlet {n}\npublished: 2015-10-{1 + n % 28:02d}\n---\n"
            f"Jets flew {n} sorties over Idlib, the ministry said.\n\nThe strikes hit {n + 1} targets.\n"
        )
        if n + 1 < count:
            entries.append(
                f"  - id: link-{n}\n    relation: {('corroborates', 'contradicts')[n % 2]}\n    passages:\n"
                f"      - article: a{n:03d}\n        quote: The strikes hit {n + 1} targets\n"
                f"      - article: a{n + 1:03d}\n        quote: Jets flew {n + 1} sorties\n"
            )
    size = per_topic or len(entries)
    for at in range(0, len(entries), size):
        name = f"chain-{at // size}" if per_topic else "chain"
        files[f"annotations/{name}.yml"] = f"title: The {name}\nannotations:\n" + "".join(entries[at : at + size])
    return files


def test_a_large_site_lists_topics_and_pairs_instead_of_tables_of_every_two(make_content) -> None:
    pages = _pages(make_content(_chain(FULL_TABLES_LIMIT + 1)))
    index = pages["index.html"].decode()
    assert 'class="matrix"' not in index and "Silent on this topic" not in index
    row = re.search(r'<tr><th scope="row"><a href="topics/chain.html">The chain</a></th>(.*?)</tr>', index)
    assert row is not None
    # 13 sources; 6 annotations corroborate, 6 contradict (the other relations are not shown: no annotation has them).
    assert re.findall(r'<td class="number">(\d+)</td>', row.group(1)) == ["13", "6", "6"]
    summary = index[index.index('<table class="topic-summary">') :]
    assert summary[: summary.index("</thead>")].count('<th scope="col">') == 4  # topic, sources, two relations
    chooser = pages["compare/index.html"].decode()
    assert 'class="pairs"' not in chooser and "nothing shared" not in chooser
    assert chooser.count('<li><a href="../compare/a') == 2 * FULL_TABLES_LIMIT  # each pair, from both sides
    first = '<a href="../compare/a000--a001.html">Report 1</a> <span class="meta">Outlet 1, 2 October 2015 · 1 shared'
    assert first in chooser
    assert _assert_links_resolve(pages) > 100


def test_a_small_site_keeps_the_tables_of_every_source_by_every_topic_and_every_two_sources(make_content) -> None:
    pages = _pages(make_content(_chain(FULL_TABLES_LIMIT)))
    assert 'class="matrix"' in pages["index.html"].decode()
    assert 'class="pairs"' in pages["compare/index.html"].decode()


def test_the_site_grows_with_its_content_not_the_square_of_it(make_content) -> None:
    small = _pages(make_content(_chain(20, per_topic=4), name="small"))
    large = _pages(make_content(_chain(80, per_topic=4), name="large"))
    for path in ("index.html", "compare/index.html", "sources.html", "notes/idlib.html", "notes.html"):
        assert len(large[path]) < 4.5 * len(small[path]), path  # 4 times the content; its square would be 16
    assert sum(map(len, large.values())) < 4.5 * sum(map(len, small.values()))


def test_pages_made_in_several_processes_are_the_pages_made_in_one() -> None:
    site, theme = check(ROOT / "content"), load_theme(TEMPLATES)
    one = _joined(stream_site(site, theme, processes=1))
    assert one == render_site(site, theme)
    assert _joined(stream_site(site, theme, processes=3)) == one


def _joined(files: Iterable[tuple[str, bytes | Iterable[bytes]]]) -> dict[str, bytes]:
    return {path: data if isinstance(data, bytes) else b"".join(data) for path, data in files}


def test_a_template_error_in_another_process_is_the_error_of_one_process(make_content) -> None:
    site, theme = check(make_content()), load_theme(TEMPLATES)
    broken = dict(theme.templates)
    broken["compare.html"] = broken["compare.html"].replace("{{ pair[0].title }}", "{{ pair[0].no_such_field }}")
    theme = dataclasses.replace(theme, templates=broken)
    errors = []
    for processes in (1, 2):
        with pytest.raises(jinja2.UndefinedError) as raised:
            _joined(stream_site(site, theme, processes=processes))
        errors.append(str(raised.value))
    assert errors[0] == errors[1] and "no_such_field" in errors[0]


def test_side_by_side_texts_reuse_unmarked_paragraphs_and_read_what_they_show() -> None:
    site = check(ROOT / "content")
    shared = Memo(SHARED_LIMITS)
    for (first, second), ids in site.pairs.items():
        for slug in (first, second):
            alone = render_text(site, site.articles[slug], only=set(ids), paragraph_ids=f"{slug}-")
            reused = render_text(site, site.articles[slug], only=set(ids), paragraph_ids=f"{slug}-", shared=shared)
            assert reused == alone
    # A part is made again when what it was made from is not the very same objects (a changed note, say).
    made = []
    assert shared.made("notes", "k", (site.notes["idlib-province"],), lambda: made.append(1) or "a") == "a"
    assert shared.made("notes", "k", (site.notes["idlib-province"],), lambda: made.append(2) or "b") == "a"
    changed = dataclasses.replace(site.notes["idlib-province"], title="Idlib")
    assert shared.made("notes", "k", (changed,), lambda: made.append(3) or "c") == "c"
    assert made == [1, 3]


def test_a_site_renders_in_one_process_per_cpu_when_large_enough_and_memory_allows(monkeypatch) -> None:
    monkeypatch.setattr(parallel, "processes_available", lambda: 4)
    monkeypatch.setattr(parallel, "resident_bytes", lambda: 100 << 20)
    assert render._processes(render.PARALLEL_PAGES - 1) == 1  # starting processes would cost more than it saves
    assert render._processes(render.PARALLEL_PAGES) == 4
    # Pagefind indexing beside needs a core too: a small site is rendered by one process then.
    assert render._processes(render.PARALLEL_PAGES_BESIDE_INDEX - 1, beside_index=True) == 1
    assert render._processes(render.PARALLEL_PAGES_BESIDE_INDEX, beside_index=True) == 4
    monkeypatch.setattr(parallel, "resident_bytes", lambda: render.MEMORY_BUDGET // 3)
    assert render._processes(10 * render.PARALLEL_PAGES) == 2  # each process comes to hold much of the site
    monkeypatch.setattr(parallel, "resident_bytes", lambda: render.MEMORY_BUDGET // 2)
    assert render._processes(10 * render.PARALLEL_PAGES) == 1


# --- The cache of compiled templates ---------------------------------------------------------------


def test_compiled_templates_are_kept_between_builds_and_never_used_stale(make_content, tmp_path: Path):
    from explainer.render import make_environment, template_cache

    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    cache = tmp_path / "cache"
    compiled = template_cache(cache)
    assert compiled is not None and oct(cache.stat().st_mode & 0o777) == "0o700"
    first = make_environment(load_theme(templates), compiled)
    first.get_template("404.html")
    kept = sorted(cache.iterdir())
    assert kept and all(path.name.startswith("template-") for path in kept)

    loaded = []
    real_load = type(compiled).load_bytecode

    def load(self: jinja2.BytecodeCache, bucket: Any) -> None:
        real_load(self, bucket)
        loaded.append(bucket.code is not None)

    again = make_environment(load_theme(templates), compiled)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(compiled), "load_bytecode", load)
        assert again.get_template("404.html").render is not None
        assert loaded == [True]  # from the cache, not compiled again
        page = templates / "404.html"
        page.write_text(page.read_text(encoding="utf-8").replace("{% endblock %}", "<p>changed</p>{% endblock %}"))
        changed = make_environment(load_theme(templates), compiled)
        site = check(make_content())
        html = render_page(
            site, Page("404.html", "404.html", "404"), make_renderers(site, load_theme(templates), changed)
        )
        # 404.html compiled again (its source changed); base.html, which it extends, compiled for the first time.
        assert "<p>changed</p>" in html and loaded == [True, False, False]


def test_an_unusable_cache_folder_means_no_cache_and_a_broken_cache_file_means_compiling(tmp_path: Path):
    from explainer.render import make_environment, template_cache

    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)  # others could put code in it
    assert template_cache(shared) is None
    (tmp_path / "file").write_text("not a folder")
    assert template_cache(tmp_path / "file") is None
    assert template_cache(tmp_path / "file" / "below") is None
    assert template_cache(None) is None

    cache = tmp_path / "cache"
    make_environment(load_theme(TEMPLATES), template_cache(cache)).get_template("404.html")
    for path in cache.iterdir():
        path.write_bytes(b"j2\x00not what Jinja wrote")
    assert make_environment(load_theme(TEMPLATES), template_cache(cache)).get_template("404.html").render


def test_the_command_line_build_keeps_compiled_templates_in_the_users_cache_folder(make_content, tmp_path: Path):
    from explainer.cli import cache_folder
    from explainer.cli import main as cli_main

    folder = cache_folder()
    assert folder == Path(os.environ["XDG_CACHE_HOME"]) / "explainer"
    out = tmp_path / "site"
    code = cli_main(
        ["build", "--content", str(make_content()), "--out", str(out)], TEMPLATES, io.StringIO(), io.StringIO()
    )
    assert code == 0 and any(path.name.startswith("template-") for path in folder.iterdir())


def test_markdown_conversions_are_kept_between_builds_and_used_only_by_a_renderer_like_the_one_that_made_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from explainer import markup

    cache = tmp_path / "cache"
    first = markup.MarkdownRenderer("../", {"idlib": "Idlib"})
    file = markup.kept_conversions(cache, first)
    assert file is not None and file.parent == cache and not file.exists()
    texts = ["Seen *twice*.", "See [[idlib]]."]
    made = [first(text) for text in texts]
    markup.keep_conversions(file, first)
    assert file.is_file()

    again = markup.MarkdownRenderer("../", {"idlib": "Idlib"})
    assert markup.kept_conversions(cache, again) == file
    with monkeypatch.context() as patch:
        patch.setattr(again._md, "convert", lambda text: pytest.fail(f"converted {text!r} again"))
        assert [again(text) for text in texts] == made
    written = file.stat().st_mtime_ns
    monkeypatch.setattr(markup, "keep", lambda *_: pytest.fail("kept the same conversions again"))
    markup.keep_conversions(file, again)  # the same texts: nothing to write
    monkeypatch.undo()
    assert file.stat().st_mtime_ns == written

    # Another root, other note titles (the text of [[links]]) or other code: other conversions.
    for other in (
        markup.MarkdownRenderer("", {"idlib": "Idlib"}),
        markup.MarkdownRenderer("../", {"idlib": "Idlib city"}),
    ):
        assert markup.kept_conversions(cache, other) != file and not other.has(texts[1])
    assert "Idlib city" in other(texts[1])

    # A cache file that is not what keep_conversions wrote is ignored; an unsafe folder is not used.
    file.write_bytes(b"\x00not marshal")
    broken = markup.MarkdownRenderer("../", {"idlib": "Idlib"})
    assert markup.kept_conversions(cache, broken) == file and not broken.has(texts[0])
    assert broken(texts[0]) == made[0]
    cache.chmod(0o777)
    assert markup.kept_conversions(cache, markup.MarkdownRenderer("../", {})) is None


def test_a_build_converts_again_only_the_markdown_that_changed(make_content, tmp_path: Path, monkeypatch):
    from explainer import markup

    content, cache = make_content(), tmp_path / "cache"
    pipeline.build(content, tmp_path / "first", TEMPLATES, cache=cache)
    [kept] = [path for path in cache.iterdir() if path.name.startswith("markdown-")]
    converted: list[tuple[str, str]] = []
    real_call = markup.MarkdownRenderer.__call__

    def call(renderer: MarkdownRenderer, text: str) -> Any:
        if not renderer.has(text):
            converted.append((renderer.root, text))
        return real_call(renderer, text)

    monkeypatch.setattr(markup.MarkdownRenderer, "__call__", call)
    topic = content / "annotations" / "sorties.yml"
    topic.write_text(topic.read_text().replace("Both give the same figure.", "Both give the same figure, again."))
    pipeline.build(content, tmp_path / "second", TEMPLATES, cache=cache)
    # The search documents' renderer converted only the changed comment.
    assert [text for root, text in converted if root == pipeline.SEARCH_ROOT] == ["Both give the same figure, again."]
    assert read_tree(tmp_path / "second") == read_tree(build_without_cache(content, tmp_path / "third"))
    assert kept.exists()  # kept beside the new set, as the most recently used but one


def build_without_cache(content: Path, out: Path) -> Path:
    pipeline.build(content, out, TEMPLATES)
    return out
