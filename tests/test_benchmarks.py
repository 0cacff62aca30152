"""The benchmark scripts (benchmarks/run.py, vs_hugo.py, syria.py): their cold start and their tables.

What they measure is reported in docs/performance.md; here, that they measure what they say: a
cold build has an empty cache folder and Python's default settings, the tables compute their
ratios from the times given, and the Syria script really runs the four kinds of build.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from benchmarks import run, syria, vs_hugo


def test_a_cold_build_has_an_empty_cache_folder_and_pythons_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere/else")
    environment = run.cold_environment(tmp_path / "cache")
    assert environment["XDG_CACHE_HOME"] == str(tmp_path / "cache")
    assert (tmp_path / "cache").is_dir() and not list((tmp_path / "cache").iterdir())
    assert "PYTHONDONTWRITEBYTECODE" not in environment
    with pytest.raises(FileExistsError):
        run.cold_environment(tmp_path / "cache")  # never a cache left by another build


def test_the_suites_table_shows_the_growth_between_sizes() -> None:
    small = run.Measured(100, 2.0, 700, 900, 26_000_000, 100 * 2**20, 0.05, 0.1, 1.0, 2.5, 90 * 2**20)
    large = run.Measured(1000, 15.0, 7000, 9000, 260_000_000, 600 * 2**20, 0.12, 0.3, 7.0)  # no preview measured
    table = run.table([small, large])
    assert table.splitlines()[0].split()[:3] == ["articles", "build", "s"]
    assert table.splitlines()[0].split()[-4:] == ["preview", "s", "preview", "MiB"]
    assert table.splitlines()[1].split()[-2:] == ["2.50", "90"]
    assert table.splitlines()[2].split()[-2:] == ["nan", "nan"]
    growth = table.splitlines()[-1].split()
    # articles x10, pages x10, build x7.5, per page x0.75, peak x6, rebuild x2.4
    assert growth[3:] == ["10.0x", "10.0x", "7.5x", "0.75x", "6.0x", "2.4x"]


def test_the_comparison_with_hugo_is_per_page() -> None:
    text = vs_hugo.comparison(1000, 6000, 1000, "v0.111.3", [("hugo alone", 12.0, 1.0), ("hugo + pagefind", 12.0, 4.0)])
    rows = {line[:16].strip(): line[16:].split() for line in text.splitlines()[2:4]}
    assert rows["hugo alone"] == ["12.00", "2.000", "1.00", "1.000", "2.00"]
    assert rows["hugo + pagefind"] == ["12.00", "2.000", "4.00", "4.000", "0.50"]


def test_the_syria_script_times_each_kind_of_build(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    timed = syria.timed
    # Per run: its output folder, whether that held a site, whether its cache folder held anything.
    seen: list[tuple[str, bool, bool]] = []

    def recording(command: list[str], environment: Mapping[str, str]) -> float:
        out = Path(command[command.index("--out") + 1]) if "--out" in command else None
        seen.append((str(out), out is not None and out.exists(), any(Path(environment["XDG_CACHE_HOME"]).iterdir())))
        return timed(command, environment)

    monkeypatch.setattr(syria, "timed", recording)
    assert syria.main(["--runs", "2"]) == 0
    *lines, disk = capsys.readouterr().out.splitlines()
    labels = ["build, first", "build, cold", "build, warm", "build, edited", "check"]
    assert [line[:13].strip() for line in lines[1:]] == labels
    # first: a new folder each time, no cache; then a site for the cold builds to replace, with no cache either.
    assert [held_cached for _, *held_cached in seen[:3]] == [[False, False]] * 3
    assert len({out for out, _, _ in seen[:3]}) == 3
    # cold: no cache, over that site; warm and edited (after one build fills the cache): both.
    assert [held_cached for _, *held_cached in seen[3:6]] == [[True, False]] * 3
    assert [held_cached for _, *held_cached in seen[6:10]] == [[True, True]] * 4
    assert {out for out, _, _ in seen[2:10]} == {seen[2][0]}
    probe = r"making a file in .+explainer-bench-syria-\w+: \d+\.\d{3} ms before the builds, \d+\.\d{3} ms after \(.+\)"
    assert re.fullmatch(probe, disk)
    for line in lines[1:]:
        fastest, median, slowest = (float(number) for number in re.findall(r"\d+\.\d+", line))
        assert 0 < fastest <= median <= slowest


def test_the_rebuild_is_timed_as_the_preview_does_it_with_a_cache_folder_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks.generate import generate, write_tree
    from explainer import pipeline

    write_tree(generate(12, 0), tmp_path / "content")
    calls: list[tuple[str, Path | None, bool]] = []  # the step, its cache folder, whether it indexes at once

    def recorded(step: str) -> Callable[..., Any]:
        real = getattr(pipeline, step)

        def recording(*args: Any, **options: Any) -> Any:
            calls.append((step, options.get("cache"), options.get("search_now", True)))
            return real(*args, **options)

        return recording

    for step in ("preview_build", "preview_index"):
        monkeypatch.setattr(pipeline, step, recorded(step))
    measured = run.measure_rebuild(tmp_path / "content", tmp_path / "preview")
    assert run.EDITS == 5 and len(measured["times"]) == 5 and measured["median"] > 0 and measured["index"] > 0
    assert measured["first"] > measured["median"]  # the first build renders every page
    # The first build indexes at once (through preview_index); each edit's build leaves the index to it.
    edit = [("preview_build", False), ("preview_index", True)]
    assert [(step, now) for step, _, now in calls] == [("preview_build", True), ("preview_index", True), *edit * 5]
    folders = {cache for _, cache, _ in calls}
    assert len(folders) == 1 and None not in folders  # one cache folder for all, as the preview has


def test_a_size_is_measured_by_a_build_and_a_preview_in_processes_of_their_own(tmp_path: Path) -> None:
    from benchmarks.generate import generate, write_tree

    write_tree(generate(12, 0), tmp_path / "content")
    measured = run.measure(12, tmp_path / "content", tmp_path / "site", tmp_path / "preview")
    assert measured.pages == len(list((tmp_path / "site").rglob("*.html"))) and measured.bytes > 0
    assert (tmp_path / "preview" / "site" / "index.html").is_file()  # left for the caller to remove
    assert 0 < measured.rebuild_seconds < measured.preview_seconds < 60
    # Each is the peak of its own process tree, which holds at least an interpreter and the model.
    assert measured.peak_bytes > 20 * 2**20 and 20 * 2**20 < measured.preview_peak_bytes < 2**30


def test_the_disk_probe_times_making_files_and_leaves_nothing(tmp_path: Path) -> None:
    assert 0 < run.file_making_ms(tmp_path) < 1000
    assert list(tmp_path.iterdir()) == []


def test_a_slow_disk_is_told_before_the_builds(capsys: pytest.CaptureFixture[str]) -> None:
    assert run.disk_warning(0.04) is None and run.disk_warning(run.QUIET_DISK_MS) is None
    run.warn_if_slow(0.388)
    assert capsys.readouterr().err == (
        "warning: making a file took 0.388 ms here, where a quiet disk takes under 0.1 ms; files deleted in the "
        "last few minutes can slow every build below (see file_making_ms)\n"
    )


def test_the_suite_removes_the_previews_only_after_every_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    left: list[list[str]] = []  # before each size: the files earlier sizes' previews left

    def measuring(n: int, content: Path, out: Path, preview: Path | None) -> run.Measured:
        assert preview is not None and not preview.exists()
        left.append(sorted(path.name for path in preview.parent.rglob("*.html")))
        (preview / "site").mkdir(parents=True)
        (preview / "site" / f"{n}.html").write_text("<p>made</p>", encoding="utf-8")
        return run.Measured(n, 1.0, 1, 1, 1, 1, 0.1, 0.0, 0.1)

    monkeypatch.setattr(run, "measure", measuring)
    monkeypatch.setattr(run, "generate", lambda n, seed: {"articles/a.md": "text"})
    assert run.main(["--sizes", "3,4,5", "--keep", str(tmp_path)]) == 0
    assert left == [[], ["3.html"], ["3.html", "4.html"]]  # deleting files slows making the next ones
    assert sorted(path.name for path in tmp_path.iterdir()) == ["content-3", "content-4", "content-5"]


def test_the_comparison_with_hugo_keeps_every_run_until_the_last_is_timed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hugo = tmp_path / "hugo"
    hugo.write_text("#!/bin/sh\necho 'hugo v0.0.1-test linux/amd64'\n", encoding="utf-8")
    hugo.chmod(0o755)
    seen: list[tuple[str, list[str]]] = []  # each command timed, and the output folders there when it started

    def timing(command: list[str], environment: Mapping[str, str] | None = None) -> float:
        at = next(at for at, word in enumerate(command) if word in ("--out", "--destination", "--site"))
        folder = Path(command[at + 1])
        outputs = sorted(path.name for path in folder.parent.iterdir() if path.name.startswith(("ours-", "hugo-")))
        seen.append((folder.name, outputs))
        folder.mkdir(exist_ok=True)
        (folder / "index.html").write_text("<p>page</p>", encoding="utf-8")
        return 1.0

    monkeypatch.setattr(vs_hugo, "find_hugo", lambda: str(hugo))
    monkeypatch.setattr(vs_hugo, "timed", timing)
    monkeypatch.setattr(vs_hugo, "prepare_bytecode", lambda: None)
    assert vs_hugo.main(["12", "--runs", "2"]) == 0
    assert seen == [
        ("ours-0", []),
        ("hugo-0", ["ours-0"]),
        ("hugo-0", ["hugo-0", "ours-0"]),  # Pagefind over Hugo's pages
        ("ours-1", ["hugo-0", "ours-0"]),
        ("hugo-1", ["hugo-0", "ours-0", "ours-1"]),
        ("hugo-1", ["hugo-0", "hugo-1", "ours-0", "ours-1"]),
    ]
    assert "v0.0.1-test" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("left_out", "compare_pages", "index_files"), [("search", True, False), ("compare", False, True)]
)
def test_the_features_benchmark_builds_without_what_it_leaves_out(
    tmp_path: Path, left_out: str, compare_pages: bool, index_files: bool
) -> None:
    import subprocess
    import sys

    from benchmarks.generate import generate, write_tree

    write_tree(generate(12, 0), tmp_path / "content")
    out = tmp_path / "site"
    command = [sys.executable, "-m", "benchmarks.features", "--build", left_out, str(tmp_path / "content"), str(out)]
    subprocess.run(command, check=True, cwd=run.ROOT, env=run.cold_environment(tmp_path / "cache"))
    assert (out / "index.html").is_file() and len(list((out / "articles").glob("*.html"))) == 12
    assert bool([path for path in (out / "compare").glob("*.html") if path.name != "index.html"]) is compare_pages
    assert (out / "pagefind").is_dir() is index_files


def test_the_features_table_compares_each_way_with_the_whole_build() -> None:
    from benchmarks import features

    text = features.table(10, {"whole": (8.0, 800), "no search": (6.0, 800), "no compare": (4.0, 100)})
    rows = {line[:12].strip(): line[12:].split() for line in text.splitlines()[2:]}
    assert rows["whole"] == ["8.00", "800", "10.000", "1.00x", "1.00x"]
    assert rows["no search"] == ["6.00", "800", "7.500", "0.75x", "0.75x"]
    assert rows["no compare"] == ["4.00", "100", "40.000", "0.50x", "4.00x"]


def test_a_timed_command_that_fails_stops_the_benchmark_with_what_it_printed() -> None:
    import sys

    assert 0 < run.timed([sys.executable, "-c", "print('quiet')"]) < 60
    failing = [sys.executable, "-c", "import sys; sys.exit('no corpus here')"]
    with pytest.raises(SystemExit, match=r"(?s)failed \(exit 1\):\nno corpus here"):
        run.timed(failing)
