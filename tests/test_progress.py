"""Progress: the bar on a terminal, plain lines elsewhere, nothing for quick builds, the summary."""

from __future__ import annotations

import io

from explainer.progress import Progress, count_kinds, summary


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def run(terminal: bool, seconds_per_page: float, pages: int = 10) -> str:
    stream = io.StringIO()
    clock = Clock()
    progress = Progress(stream, terminal, clock)
    progress.begin("read", 0)
    clock.now += 0.2
    progress.begin("render", pages)
    for _ in range(pages):
        clock.now += seconds_per_page
        progress.advance()
    progress.begin("write", pages)
    progress.advance(pages)
    progress.finish()
    return stream.getvalue()


def test_a_quick_build_shows_no_progress_on_a_terminal_or_elsewhere() -> None:
    assert run(True, 0.01) == ""
    assert run(False, 0.01) == ""


def test_a_slow_build_gets_plain_lines_when_not_on_a_terminal() -> None:
    assert run(False, 0.2) == "render: 10 done in 2.00 s\nwrite: 10 done in 0.00 s\n"


def test_a_slow_build_gets_a_bar_redrawn_in_place_on_a_terminal() -> None:
    out = run(True, 0.2)
    frames = out.split("\r")[1:]
    # The bar appears once the build has run a second, and fills up as pages are rendered.
    assert frames[0].startswith("render     [" + "#" * 12 + "-" * 18 + "] 4/10 (0.8 s)")
    assert "render     [" + "#" * 30 + "] 10/10 (2.0 s)\x1b[K\n" in out
    assert frames[-1].startswith("write      [" + "#" * 30 + "] 10/10")
    assert out.endswith("\n") and "\n" not in frames[0]


def test_files_are_counted_by_kind_in_a_fixed_order() -> None:
    paths = [
        "index.html", "404.html", "articles/a.html", "articles/b.html", "notes/n.html", "topics/t.html",
        "compare/a--b.html", "compare/index.html", "data/explainer.json", "assets/style.css",
        "pagefind/pagefind.js", "schemas/topic.schema.json", "sitemap.xml",
    ]  # fmt: skip
    assert list(count_kinds(paths).items()) == [
        ("article pages", 2),
        ("note pages", 1),
        ("topic pages", 1),
        ("comparison pages", 2),
        ("other pages", 2),
        ("data files", 1),
        ("schemas", 1),
        ("assets", 1),
        ("search index files", 1),
        ("other files", 1),
    ]


def test_the_summary_names_the_folder_the_kinds_the_content_and_the_time() -> None:
    line = summary("site", ["index.html", "articles/a.html", "articles/b.html", "x.xml"], "1 article, 2 notes", 0.456)
    assert line == (
        "Built site in 0.46 s: 4 files (2 article pages, 1 other page, 1 other file); "
        "no problems in 1 article, 2 notes."
    )


def test_the_benchmarks_read_the_step_times_from_the_plain_lines() -> None:
    from benchmarks.run import step_seconds

    lines = run(False, 0.2)
    assert step_seconds(lines, "render") == 2.0 and step_seconds(lines, "write") == 0.0
    assert step_seconds(lines, "search") is None
