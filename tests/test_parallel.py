"""Tasks run in forked processes: every file comes back once, whole or in pieces, and failures come back too."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator

import jinja2
import pytest

from explainer import parallel
from explainer.parallel import File, RemoteTracebackError, WorkerFailedError, run


def _tasks(count: int) -> list[Callable[[], Iterable[File]]]:
    def task(number: int) -> Callable[[], Iterable[File]]:
        def made() -> Iterable[File]:
            time.sleep(0.005)  # long enough for a forked child to start and take tasks too
            return [(f"page-{number}-{n}.html", f"{number}/{n} from {os.getpid()}".encode()) for n in range(3)]

        return made

    return [task(number) for number in range(count)]


def _pieces() -> Iterator[File]:
    yield "data/big.json", (f"piece {n};".encode() for n in range(1000))
    yield "data/small.csv", iter([b"only"])


def _collected(files: Iterable[File]) -> dict[str, bytes]:
    made: dict[str, bytes] = {}
    for path, data in files:
        assert path not in made, f"{path} came twice"
        made[path] = data if isinstance(data, bytes) else b"".join(data)
    return made


def _without_pids(files: dict[str, bytes]) -> dict[str, bytes]:
    return {path: data.rsplit(b" from ", 1)[0] for path, data in files.items()}


@pytest.mark.parametrize("processes", [2, 3])
def test_forked_processes_make_every_file_once_as_one_process_does(processes: int) -> None:
    alone = _collected(run(_tasks(40), 1, pinned=[_pieces]))
    together = _collected(run(_tasks(40), processes, pinned=[_pieces]))
    assert len(alone) == 122
    assert _without_pids(together) == _without_pids(alone)
    assert together["data/big.json"] == b"".join(f"piece {n};".encode() for n in range(1000))
    makers = {data.rsplit(b" from ", 1)[1] for path, data in together.items() if path.startswith("page-")}
    assert len(makers) > 1  # the pages were shared out (each process takes tasks as it gets free)
    assert not _has_children()  # every child was reaped


def _has_children() -> bool:
    """True when this process has a child process, running or not yet reaped (from /proc, reaping nothing)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == os.getpid():
                        return True
            except OSError:
                continue
    return False


def test_an_exception_in_a_child_is_raised_here_as_itself_with_the_childs_traceback() -> None:
    def broken() -> Iterable[File]:
        raise jinja2.UndefinedError("'nothing' is undefined")

    with pytest.raises(jinja2.UndefinedError, match="'nothing' is undefined") as raised:
        _collected(run(_tasks(10), 2, pinned=[broken]))  # pinned tasks run in the first child
    assert isinstance(raised.value.__cause__, RemoteTracebackError)
    assert "in broken" in str(raised.value.__cause__)
    assert not _has_children()


def test_an_exception_that_cannot_be_pickled_comes_back_as_its_text() -> None:
    class UnpicklableError(Exception):
        def __reduce__(self) -> object:
            raise TypeError("no")

    def broken() -> Iterable[File]:
        raise UnpicklableError("the reason")

    with pytest.raises(WorkerFailedError, match="UnpicklableError: the reason"):
        _collected(run(_tasks(3), 2, pinned=[broken]))
    assert not _has_children()


def test_a_child_that_dies_is_reported_not_waited_for() -> None:
    def killed() -> Iterable[File]:
        os.kill(os.getpid(), signal.SIGKILL)
        return []

    with pytest.raises(WorkerFailedError, match="killed by signal 9"):
        _collected(run(_tasks(3), 2, pinned=[killed]))
    assert not _has_children()


def test_a_reader_that_stops_early_leaves_no_process_behind() -> None:
    files = run(_tasks(200), 3)
    next(files)
    files.close()
    assert not _has_children()


def test_a_file_in_pieces_must_be_read_before_the_next_file() -> None:
    def slow() -> Iterable[File]:
        return []  # this process does next to nothing, so the child's file in pieces comes through it

    with pytest.raises(RuntimeError, match=r"data/big\.json was not read to its end"):
        for _path, _data in run([slow], 2, pinned=[_pieces]):
            pass  # the pieces are never read
    assert not _has_children()


def test_one_process_or_a_thread_running_means_no_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    made = _collected(run(_tasks(5), 4, pinned=[_pieces]))
    assert {data.rsplit(b" from ", 1)[1] for path, data in made.items() if path.startswith("page-")} == {
        str(os.getpid()).encode()
    }


@pytest.mark.parametrize("tasks", [0, 1])
def test_no_fork_for_one_task_or_none(tasks: int, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise AssertionError("forked")

    monkeypatch.setattr(parallel.os, "fork", no_fork)
    made = _collected(run(_tasks(tasks), 4))
    assert len(made) == 3 * tasks  # each task makes three files
    assert all(data.endswith(str(os.getpid()).encode()) for data in made.values())
