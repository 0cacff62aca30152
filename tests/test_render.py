"""Rendering: pages in memory, their links, marks and escaping, and a snapshot of the resolved model."""

from __future__ import annotations

import html
import json
import os
import re
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from explainer.export import model_json
from explainer.load import load_theme
from explainer.markup import MarkdownRenderer
from explainer.pipeline import check
from explainer.render import render_site, render_text

from .conftest import ROOT, SAMPLE, TEMPLATES

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
