"""Watching files: every change is seen, however soon after another; bursts of saves build once."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from explainer.preview import Timing, changed_since, watch
from explainer.watch import RACY_NS, changed, take


def test_additions_edits_and_removals_are_changes(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("a")
    (tmp_path / "gone.md").write_text("gone")
    before = take([tmp_path])
    (tmp_path / "a.md").write_text("a, edited")
    (tmp_path / "gone.md").unlink()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "new.md").write_text("new")
    assert changed(before, take([tmp_path], before)) == {
        tmp_path / "a.md",
        tmp_path / "gone.md",
        tmp_path / "sub" / "new.md",
    }


def test_a_save_in_the_same_clock_tick_with_the_same_size_is_seen(tmp_path: Path) -> None:
    """File systems stamp times coarsely: a second save can keep the time, size and inode of the first."""
    path = tmp_path / "topic.yml"
    path.write_text("comment: first")
    stamp = path.stat().st_mtime_ns
    before = take([tmp_path])
    with path.open("r+") as file:  # in place: the same inode
        file.write("comment: other")
    os.utime(path, ns=(stamp, stamp))
    after = take([tmp_path], before)
    assert after.stamps[str(path)] == before.stamps[str(path)]
    assert changed(before, after) == {path}


def test_files_too_old_to_be_ambiguous_are_not_read(tmp_path: Path) -> None:
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text("old")
    new.write_text("new")
    long_ago = old.stat().st_mtime_ns - 10 * RACY_NS
    os.utime(old, ns=(long_ago, long_ago))
    snapshot = take([tmp_path])
    assert set(snapshot.digests) == {str(new)}


def test_dot_files_and_excluded_folders_are_not_watched(tmp_path: Path) -> None:
    (tmp_path / ".topic.yml.swp").write_text("swap")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "index.html").write_text("built")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.pyc").write_bytes(b"")
    (tmp_path / "site.yml").write_text("title: x")
    assert set(take([tmp_path], exclude=[tmp_path / "out"]).files) == {tmp_path / "site.yml"}


def test_a_burst_of_saves_builds_once_with_every_file(tmp_path: Path) -> None:
    builds: list[set[Path]] = []
    stop = threading.Event()
    first = tmp_path / "a.md"
    first.write_text("a")
    baseline = take([tmp_path])

    def build(paths: set[Path], interrupted: Callable[[], bool]) -> None:
        builds.append(paths)
        stop.set()

    # A long quiet period: the saves below come well within it, however slow the machine.
    loop = threading.Thread(target=watch, args=([tmp_path], build, stop, baseline), kwargs={"timing": Timing(0.01, 1)})
    loop.start()
    first.write_text("a, edited")
    (tmp_path / "b.md").write_text("b")
    (tmp_path / "c.md").write_text("c")
    loop.join(timeout=60)
    assert builds == [{first, tmp_path / "b.md", tmp_path / "c.md"}]


def test_a_save_during_a_build_gets_a_build_of_its_own(tmp_path: Path) -> None:
    builds: list[set[Path]] = []
    stop = threading.Event()
    path = tmp_path / "topic.yml"
    path.write_text("1")
    baseline = take([tmp_path])

    def build(paths: set[Path], interrupted: Callable[[], bool]) -> None:
        builds.append(paths)
        if len(builds) == 1:
            assert not interrupted()
            path.write_text("3")  # saved while the first build runs, with the same size
            asked.append(wait_for(interrupted))
        else:
            stop.set()

    asked: list[bool] = []
    loop = threading.Thread(
        target=watch, args=([tmp_path], build, stop, baseline), kwargs={"timing": Timing(0.01, 0.05)}
    )
    loop.start()
    path.write_text("2")
    loop.join(timeout=60)
    assert builds == [{path}, {path}]
    assert asked == [True]  # the first build was told of the save, so it could leave its slow steps for later
    assert not loop.is_alive()


def wait_for(test: Callable[[], bool], seconds: float = 30) -> bool:
    """Ask `test` until it is true or `seconds` have passed; what it said last."""
    deadline = time.monotonic() + seconds
    while not test() and time.monotonic() < deadline:
        time.sleep(0.01)
    return test()


def test_changed_since_is_true_once_a_file_changes_or_the_preview_stops(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("a")
    (tmp_path / "out").mkdir()
    baseline = take([tmp_path], exclude=[tmp_path / "out"])
    stop = threading.Event()
    test = changed_since([tmp_path], baseline, stop, exclude=[tmp_path / "out"], timing=Timing(0.01, 0.05))
    assert not test()
    (tmp_path / "out" / "index.html").write_text("built")  # the build's own output is not a change
    (tmp_path / ".hidden").write_text("x")
    assert not wait_for(test, 0.3)
    path.write_text("b")  # the same size, at once: seen by its digest, as the watch loop sees it
    assert wait_for(test)
    path.write_text("a")  # once true, it stays true: the change is there to be built
    assert test()

    again = take([tmp_path], exclude=[tmp_path / "out"])
    stopped = changed_since([tmp_path], again, stop, exclude=[tmp_path / "out"], timing=Timing(0.01, 0.05))
    assert not stopped()
    stop.set()
    assert stopped()
