"""Incremental builds: after any series of edits, the preview's output is byte for byte a full build's.

The edits are random (seeded, so a failure repeats) and of every kind an editor makes: comments,
relations, annotations moved or dropped, article dates and text, note titles and aliases, notes
and articles added and removed, the site's title, templates and assets, and broken files that
the next edit repairs. After each, the preview's output folder must equal a fresh full build of
the same content, and a build with problems must report what `check` reports and leave the last
good build alone.
"""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from benchmarks.generate import generate
from explainer import incremental, pipeline
from explainer.load import load_content, load_theme, reload_content
from explainer.problems import ContentError
from explainer.search import is_index_file
from explainer.write import write_site

from .conftest import TEMPLATES, ContentMaker, read_tree, write_tree

Edit = Callable[[random.Random, Path, Path], set[Path]]  # (rng, content, templates) -> files touched


def test_random_edits_give_the_same_bytes_as_full_builds(tmp_path: Path) -> None:
    _run_edits(tmp_path, seed=1, steps=20)


def test_an_annotation_edit_renders_only_the_pages_that_show_it(make_content: ContentMaker, tmp_path: Path) -> None:
    content = make_content()
    out = tmp_path / "out"
    first = _preview_build(pipeline.PreviewState(), content, out, TEMPLATES, set())
    topic = content / "annotations" / "sorties.yml"
    topic.write_text(topic.read_text().replace("notes: [idlib]", "comment: New.\n    notes: [idlib]"))
    result = _preview_build(first.state, content, out, TEMPLATES, {topic})
    rendered = set(result.rendered)
    # The annotation 'idlib-strikes' has one passage, in alpha, and cites the note idlib.
    assert {"articles/alpha.html", "topics/sorties.html", "notes/idlib.html"} <= rendered
    untouched = {"articles/beta.html", "compare/alpha--beta.html", "notes/andrei-kartapolov.html", "sources.html"}
    assert not rendered & untouched
    assert not rendered & {"notes.html", "compare/index.html", "404.html"}
    data = {"data/explainer.json", "data/annotations.jsonld", "data/annotations.csv"}
    assert {path for path in result.written if not is_index_file(path)} <= rendered | data
    assert any(is_index_file(path) for path in result.written), "the search index was not brought up to date"
    pipeline.build(content, tmp_path / "full", TEMPLATES)
    assert read_tree(out) == read_tree(tmp_path / "full")


def test_the_list_of_pages_is_made_again_only_when_pages_come_or_go(
    make_content: ContentMaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = make_content()
    out = tmp_path / "out"
    first = _preview_build(pipeline.PreviewState(), content, out, TEMPLATES, set())
    listed: list[int] = []
    real = incremental.site_pages
    monkeypatch.setattr(incremental, "site_pages", lambda site: listed.append(1) or real(site))
    topic = content / "annotations" / "sorties.yml"
    topic.write_text(topic.read_text().replace("Both give the same figure.", "Both give one figure."))
    edited = _preview_build(first.state, content, out, TEMPLATES, {topic})  # and the data files and index after
    assert listed == [] and "topics/sorties.html" in edited.rendered
    assert edited.state.rendered is not None and edited.state.rendered.pages == first.state.rendered.pages
    note = content / "notes" / "aleppo.md"
    note.write_text("---\ntitle: Aleppo\nkind: place\n---\nA city in the north.\n")
    added = _preview_build(edited.state, content, out, TEMPLATES, {note})
    assert listed == [1] and "notes/aleppo.html" in added.rendered
    pipeline.build(content, tmp_path / "full", TEMPLATES)
    assert read_tree(out) == read_tree(tmp_path / "full")


def test_an_asset_change_writes_only_that_asset(make_content: ContentMaker, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    content = make_content()
    out = tmp_path / "out"
    first = _preview_build(pipeline.PreviewState(), content, out, templates, set())
    style = templates / "assets" / "style.css"
    style.write_text(style.read_text() + "\n/* edited */\n")
    result = _preview_build(first.state, content, out, templates, {style})
    assert (result.rendered, result.written, result.removed) == ((), ("assets/style.css",), ())


def test_a_full_render_hands_on_each_file_as_it_is_made(
    make_content: ContentMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = pipeline.check(make_content(), "content")
    theme = load_theme(TEMPLATES)
    rendering = _recording_renders(monkeypatch)
    handed: list[tuple[str, int]] = []  # each file, and how many pages had been rendered when it came
    in_pieces: list[str] = []

    def write(files: Iterator[tuple[str, bytes | Iterator[bytes]]]) -> None:
        for path, data in files:
            handed.append((path, len(rendering)))
            if not isinstance(data, bytes):
                in_pieces.append(path)
                b"".join(data)

    rendered = incremental.render_all(site, theme, write)
    pages = [(path, count) for path, count in handed if path in rendered.reads]
    assert pages == [(path, number) for number, path in enumerate(rendering, start=1)]
    assert {"data/explainer.json", "data/annotations.jsonld", "data/annotations.csv"} <= set(in_pieces)
    built = pipeline.built_files(site, theme)
    expected = {path: data if isinstance(data, bytes) else b"".join(data) for path, data in built}
    assert rendered.digests == {
        path: incremental.file_digest(data) for path, data in expected.items() if not is_index_file(path)
    }


def test_pages_that_read_the_same_item_share_one_record_of_it(make_content: ContentMaker) -> None:
    site = pipeline.check(make_content(), "content")

    def write(files: Iterator[tuple[str, bytes | Iterator[bytes]]]) -> None:
        for _, data in files:
            b"".join(data) if not isinstance(data, bytes) else data

    reads = [
        read for page in incremental.render_all(site, load_theme(TEMPLATES), write).reads.values() for read in page
    ]
    assert len({id(read) for read in reads}) == len(set(reads)) < len(reads)


def test_a_template_change_hands_on_each_changed_page_as_it_is_rendered(
    make_content: ContentMaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content, templates, _, first = _built_with_own_templates(make_content, tmp_path)
    topic = templates / "topic.html"
    topic.write_text(topic.read_text().replace("{% block main %}", "{% block main %}<p>Edited.</p>", 1))
    rendering = _recording_renders(monkeypatch)
    handed: list[tuple[str, int]] = []  # each file, and how many pages had been rendered when it came

    def write(files: Iterator[tuple[str, bytes]]) -> None:
        handed.extend((path, len(rendering)) for path, _ in files)

    site = pipeline.served_site(pipeline.check(content, str(content)), None)
    rendered, changes = incremental.render_changes(first.state.rendered, site, load_theme(templates), write, False)
    topics = [path for path in rendering if path.startswith("topics/")]
    assert len(rendering) == len(rendered.pages) and topics  # every page rendered; only the topics changed
    assert handed == [(path, rendering.index(path) + 1) for path in topics]
    assert changes.written == tuple(topics)


def test_a_template_failing_midway_leaves_the_output_as_it_was(
    make_content: ContentMaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content, templates, out, first = _built_with_own_templates(make_content, tmp_path)
    before = read_tree(out)
    base, topic = templates / "base.html", templates / "topic.html"
    base.write_text(base.read_text().replace("</body>", "<!-- every page changes --></body>"))
    topic_text = topic.read_text()
    topic.write_text(topic_text.replace("{% block main %}", "{% block main %}{{ no_such_value.attribute }}", 1))
    monkeypatch.setattr(pipeline, "STAGED_BYTES", 1)  # each page written beside its place once rendered
    discarded: list[str] = []
    real_discard = pipeline.discard
    monkeypatch.setattr(
        pipeline, "discard", lambda staged, out: real_discard(discarded.extend(f.path for f in staged) or staged, out)
    )
    failed = _preview_build(first.state, content, out, templates, {base, topic})
    assert ["no_such_value" in problem.message for problem in failed.problems] == [True]
    assert "index.html" in discarded and not any(path.startswith("topics/") for path in discarded)
    assert read_tree(out) == before  # nothing written, nothing left beside the files
    topic.write_text(topic_text)
    fixed = _preview_build(failed.state, content, out, templates, {topic})
    assert not fixed.problems
    full = tmp_path / "full"
    write_site(full, pipeline.built_files(pipeline.check(content, str(content)), load_theme(templates)))
    assert read_tree(out) == read_tree(full)


def test_changed_files_are_written_in_batches_of_about_staged_bytes() -> None:
    files = [("a", b"12"), ("b", b"3"), ("c", b"456"), ("d", b"7")]
    assert list(pipeline._batches(iter(files), 3)) == [files[:2], files[2:3], files[3:]]
    assert list(pipeline._batches(iter([]), 3)) == []


def test_re_reading_changed_files_gives_what_loading_everything_gives(make_content: ContentMaker) -> None:
    content = make_content()
    before = load_content(content, "content")
    topic, article = content / "annotations" / "sorties.yml", content / "articles" / "beta.md"
    topic.write_text("title: [unclosed\n")
    article.write_text(article.read_text().replace("Jets flew", "Jets flew quickly"))
    again = reload_content(before, content, {topic, article}, "content")
    assert _loaded(again) == _loaded(load_content(content, "content"))
    assert again.files[0] is before.files[0]  # files that did not change are not read again
    added = content / "notes" / "new.md"
    added.write_text("---\ntitle: New\n---\n")
    assert _loaded(reload_content(again, content, {added}, "content")) == _loaded(load_content(content, "content"))


def _run_edits(tmp_path: Path, seed: int, steps: int) -> None:
    rng = random.Random(seed)
    content = write_tree(tmp_path / "content", generate(6, seed))
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    out = tmp_path / "out"
    result = _preview_build(pipeline.PreviewState(), content, out, templates, set())
    assert not result.problems
    good = read_tree(out)

    def step(touched: set[Path], what: str) -> pipeline.PreviewBuild:
        """Build after an edit; check the output against a full build, or the problems against `check`."""
        nonlocal good
        built = _preview_build(result.state, content, out, templates, touched)
        try:
            site = pipeline.check(content, str(content))
        except ContentError as error:
            assert built.problems == error.problems, what
        else:
            if built.problems:  # only a template can be wrong now
                assert all(problem.path.startswith(str(templates)) for problem in built.problems), built.problems
            else:
                # What `build` writes, search index included (its own steps, to check the content once per step).
                full = tmp_path / "full"
                write_site(full, pipeline.built_files(site, load_theme(templates)))
                good = read_tree(full)
                shutil.rmtree(full)
        assert read_tree(out) == good, f"{what}: the output differs from a full build of the same content"
        return built

    # Every kind of edit at least once, then random ones.
    edits = list(EDITS.values())
    rng.shuffle(edits)
    edits += [rng.choice(list(EDITS.values())) for _ in range(max(0, steps - len(edits)))]
    for number, edit in enumerate(edits, start=1):
        before = _files(content) | _files(templates)
        touched = edit(rng, content, templates)
        result = step(touched, f"step {number} ({edit.__name__})")
        if result.problems:  # repair it, as the editor would
            result = step(_restore({path: before.get(path) for path in touched}), f"repairing step {number}")
            assert not result.problems


def test_a_deferred_build_writes_the_pages_first_and_the_data_files_after(
    make_content: ContentMaker, tmp_path: Path
) -> None:
    content = make_content()
    out = tmp_path / "out"
    first = _preview_build(pipeline.PreviewState(), content, out, TEMPLATES, set())
    before = (out / "data" / "explainer.json").read_bytes()
    topic = content / "annotations" / "sorties.yml"
    topic.write_text(topic.read_text().replace("notes: [idlib]", "comment: Deferred.\n    notes: [idlib]"))
    pages = pipeline.preview_build(
        first.state, content, out, TEMPLATES, {topic}, shown="c", base_url=None, origin=None, search_now=False
    )
    assert "topics/sorties.html" in pages.written and "Deferred." in (out / "topics" / "sorties.html").read_text()
    assert not any(path.startswith(("data/", "pagefind/")) for path in pages.written)
    assert (out / "data" / "explainer.json").read_bytes() == before
    later = pipeline.preview_index(pages.state, out)
    assert {"data/explainer.json", "data/annotations.csv"} <= set(later.written)
    assert any(path.startswith("pagefind/") for path in later.written)
    pipeline.build(content, tmp_path / "full", TEMPLATES)
    assert read_tree(out) == read_tree(tmp_path / "full")
    # Nothing changed since: a second pass writes nothing.
    assert pipeline.preview_index(later.state, out).written == ()


def _built_with_own_templates(
    make_content: ContentMaker, tmp_path: Path
) -> tuple[Path, Path, Path, pipeline.PreviewBuild]:
    """Content, a copy of the templates to edit, the output folder, and the preview's first build of them."""
    content, templates, out = make_content(), tmp_path / "templates", tmp_path / "out"
    shutil.copytree(TEMPLATES, templates)
    return content, templates, out, _preview_build(pipeline.PreviewState(), content, out, templates, set())


def _recording_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the pages rendered from now on, in order (filled as they are rendered)."""
    rendering: list[str] = []
    real = incremental._render_tracked
    monkeypatch.setattr(
        incremental, "_render_tracked", lambda site, page, *rest: rendering.append(page.path) or real(site, page, *rest)
    )
    return rendering


def _preview_build(
    state: pipeline.PreviewState, content: Path, out: Path, templates: Path, changed: set[Path]
) -> pipeline.PreviewBuild:
    return pipeline.preview_build(
        state, content, out, templates, changed, shown=str(content), base_url=None, origin=None
    )


def _files(folder: Path) -> dict[Path, bytes | None]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _restore(saved: dict[Path, bytes | None]) -> set[Path]:
    for path, data in saved.items():
        if data is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(data)
    return set(saved)


def _loaded(content: object) -> object:
    return (content.files, sorted(content.problems))  # type: ignore[attr-defined]


# --- The edits ------------------------------------------------------------------------------------


def _pick(rng: random.Random, folder: Path, pattern: str = "*") -> Path:
    return rng.choice(sorted(folder.glob(pattern)))


def _topic(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _write_topic(path: Path, topic: dict) -> None:
    # Lists of slugs stay on one line ('notes: [a, b]'), as editors write them.
    text = yaml.safe_dump(topic, sort_keys=False, allow_unicode=True, width=1000, default_flow_style=None)
    path.write_text(text, encoding="utf-8")


def _topics_with(content: Path, test: Callable[[dict], bool]) -> list[Path]:
    return [path for path in sorted((content / "annotations").glob("*.yml")) if test(_topic(path))]


def edit_comment(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    path = rng.choice(_topics_with(content, lambda t: any("comment" in a for a in t.get("annotations") or [])))
    text = path.read_text()
    match = rng.choice(list(re.finditer(r"\bcomment: '?", text)))
    path.write_text(text[: match.end()] + f"Edited {rng.randrange(10**6)}. " + text[match.end() :])
    return {path}


def change_relation(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    links = ("same-event", "same-statement", "corroborates", "contradicts", "differs")
    path = rng.choice(_topics_with(content, lambda t: any(a["relation"] in links for a in t.get("annotations") or [])))
    text = path.read_text()
    found = [m for m in re.finditer(r"relation: ([a-z-]+)", text) if m.group(1) in links]
    match = rng.choice(found)
    other = rng.choice([r for r in links if r != match.group(1)])
    path.write_text(text[: match.start(1)] + other + text[match.end(1) :])
    return {path}


def drop_annotation(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    path = rng.choice(_topics_with(content, lambda t: bool(t.get("annotations"))))
    topic = _topic(path)
    topic["annotations"].pop(rng.randrange(len(topic["annotations"])))
    _write_topic(path, topic)
    return {path}


def move_annotation(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    """Move an annotation to another topic (a new one when there is no other)."""
    source = rng.choice(_topics_with(content, lambda t: bool(t.get("annotations"))))
    others = [p for p in sorted((content / "annotations").glob("*.yml")) if p != source]
    target = rng.choice(others) if others else content / "annotations" / "moved.yml"
    from_topic = _topic(source)
    to_topic = _topic(target) if target.exists() else {"title": "Moved here", "annotations": []}
    to_topic.setdefault("annotations", []).append(from_topic["annotations"].pop(0))
    _write_topic(source, from_topic)
    _write_topic(target, to_topic)
    return {source, target}


def redate_article(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    path = _pick(rng, content / "articles")
    text = re.sub(r"\npublished: '[^']*'", "", path.read_text())
    date = f"2014-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    path.write_text(text.replace("\noutlet:", f"\npublished: '{date}'\noutlet:", 1))
    return {path}


def reword_article(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    """Change a word of an article's text (it may break a quote: then the next step repairs it)."""
    path = _pick(rng, content / "articles")
    head, body = path.read_text().split("\n---\n", 1)
    words = body.split(" ")
    at = rng.randrange(len(words))
    words[at] = "reworded" + ("" if words[at][-1:].isalpha() else words[at][-1:])
    path.write_text(head + "\n---\n" + " ".join(words))
    return {path}


def retitle_note(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    path = _pick(rng, content / "notes")
    text = path.read_text()
    path.write_text(re.sub(r"\ntitle: '([^']*)'", lambda m: f"\ntitle: '{m.group(1)} Renamed'", text, count=1))
    return {path}


def add_alias(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    """An alias that occurs in the articles' text: new mentions everywhere."""
    path = _pick(rng, content / "notes")
    word = rng.choice(["ceasefire", "convoy", "Capital Wire", "offensive", "residents"])
    path.write_text(path.read_text().replace("aliases: [", f"aliases: ['{word}', ", 1))
    return {path}


def add_note(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    slug = f"added-{rng.randrange(10**6)}"
    path = content / "notes" / f"{slug}.md"
    other = _pick(rng, content / "notes").stem
    path.write_text(f"---\ntitle: 'Winter'\nkind: concept\naliases: ['winter']\n---\nSee [[{other}]].\n")
    return {path}


def remove_note(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    """Remove a note, and every citation of it and link to it (links become plain text)."""
    path = _pick(rng, content / "notes")
    title = re.search(r"\ntitle: '([^']*)'", path.read_text()).group(1)  # type: ignore[union-attr]
    slug = path.stem
    path.unlink()
    touched = {path}
    for other in sorted((content / "notes").glob("*.md")) + sorted((content / "annotations").glob("*.yml")):
        text = other.read_text()
        new = re.sub(rf"\[\[{slug}\|([^\]]*)\]\]", r"\1", text).replace(f"[[{slug}]]", title)
        new = re.sub(r"notes: \[([^\]]*)\]", lambda m: _without(m.group(0), m.group(1), slug), new)
        if new != text:
            other.write_text(new)
            touched.add(other)
    return touched


def _without(whole: str, listed: str, slug: str) -> str:
    slugs = [s.strip() for s in listed.split(",") if s.strip() and s.strip() != slug]
    return f"notes: [{', '.join(slugs)}]"


def remove_article(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    """Remove an article, its passages, and annotations left with too few passages."""
    path = _pick(rng, content / "articles")
    path.unlink()
    touched = {path}
    for topic_path in sorted((content / "annotations").glob("*.yml")):
        topic = _topic(topic_path)
        kept = []
        for annotation in topic.get("annotations") or []:
            passages = [p for p in annotation["passages"] if p["article"] != path.stem]
            single = annotation["relation"] in ("context", "correction")
            if passages and (single or len(passages) >= 2):
                kept.append({**annotation, "passages": passages})
        if kept != topic.get("annotations"):
            topic["annotations"] = kept
            _write_topic(topic_path, topic)
            touched.add(topic_path)
    return touched


def add_article(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    source = _pick(rng, content / "articles")
    path = content / "articles" / f"added-{rng.randrange(10**6)}.md"
    path.write_text(source.read_text().replace("title: '", "title: 'Copy: ", 1))
    return {path}


def retitle_site(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    path = content / "site.yml"
    path.write_text(path.read_text().replace("title: '", f"title: 'Edition {rng.randrange(100)} of ", 1))
    return {path}


def toggle_base_url(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    """Publish at a base URL, or stop (a sitemap appears or goes; the 404 page links absolutely or not)."""
    path = content / "site.yml"
    text = path.read_text()
    line = "base_url: 'https://example.org/corpus/'\n"
    path.write_text(text.replace(line, "") if line in text else text + line)
    return {path}


def break_yaml(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    """A syntax error in a topic (repaired by the next step)."""
    path = _pick(rng, content / "annotations")
    path.write_text(path.read_text() + "  - id: [unclosed\n")
    return {path}


def edit_template(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    path = templates / "base.html"
    path.write_text(path.read_text().replace("<body>", f'<body data-edit="{rng.randrange(10**6)}">', 1))
    return {path}


def break_template(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    """A template syntax error (repaired by the next step)."""
    path = templates / "note.html"
    path.write_text(path.read_text() + "{% if %}\n")
    return {path}


def edit_asset(rng: random.Random, content: Path, templates: Path) -> set[Path]:
    path = templates / "assets" / "style.css"
    path.write_text(path.read_text() + f"\n/* {rng.randrange(10**6)} */\n")
    return {path}


EDITS: dict[str, Edit] = {
    edit.__name__: edit
    for edit in (
        edit_comment,
        change_relation,
        drop_annotation,
        move_annotation,
        redate_article,
        reword_article,
        retitle_note,
        add_alias,
        add_note,
        remove_note,
        remove_article,
        add_article,
        retitle_site,
        toggle_base_url,
        break_yaml,
        edit_template,
        break_template,
        edit_asset,
    )
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_every_edit_touches_what_it_says(name: str, tmp_path: Path) -> None:
    """The edits report the files they change (the preview is told exactly those, as the watcher would)."""
    content = write_tree(tmp_path / "content", generate(6, 5))
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    before = _files(content) | _files(templates)
    touched = EDITS[name](random.Random(0), content, templates)
    after = _files(content) | _files(templates)
    assert touched
    assert {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)} == touched
