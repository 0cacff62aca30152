"""Tasks run at once in this process and in forked copies of it, their files streamed back as they are made.

A forked child starts with everything this process holds (the resolved site, the compiled
templates) without copying or pickling any of it; each child sends back only what its tasks
made, as frames on a pipe. Tasks are handed out one at a time from a pipe of tickets, so a
process that finishes early takes more. A failure in a child is raised here, as the same
exception, with the child's traceback as its cause.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import os
import pickle
import select
import signal
import struct
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence

File = tuple[str, bytes | Iterable[bytes]]  # a path and its bytes, whole or in pieces
Task = Callable[[], Iterable[File]]

_HEADER = struct.Struct("<BIQ")  # frame kind, path length, data length
_WHOLE, _PIECE, _LAST, _ERROR = range(4)  # a whole file; a piece of one, more to come; its last piece; a failure
_TICKET = struct.Struct("<I")
_PIPE_SIZE = 1 << 20  # bytes a child can send before it waits for this process to read them


class WorkerFailedError(RuntimeError):
    """A forked process stopped without finishing its tasks, and without an exception to show for it."""


class RemoteTracebackError(Exception):
    """The traceback of an exception raised in a forked process (shown as the cause of that exception here)."""

    def __str__(self) -> str:
        return str(self.args[0])


def processes_available() -> int:
    """How many CPUs this process may run on."""
    return len(os.sched_getaffinity(0))


def resident_bytes() -> int:
    """This process's resident memory, in bytes; 0 where the system does not say (no /proc)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def can_fork() -> bool:
    """True when forking is safe here: a POSIX system, and no other thread that a child could find holding a lock."""
    return hasattr(os, "fork") and threading.active_count() == 1


def run(tasks: Sequence[Task], processes: int, pinned: Sequence[Task] = ()) -> Iterator[File]:
    """Every file the tasks make, as they are made: `pinned` tasks first, then `tasks`.

    With more than one process, processes - 1 children are forked; the first child runs the
    pinned tasks (long ones, so this process stays free to pass files on) before it takes tickets
    like the others. Files come in no fixed order. A file in pieces must be read to its end before
    the next file is asked for: its pieces come from a child's pipe as they are read.
    """
    if processes <= 1 or len(tasks) + len(pinned) <= 1 or not can_fork():  # nothing to share: no fork
        for task in (*pinned, *tasks):
            yield from task()
        return
    children: dict[int, int] = {}  # read end of a child's pipe -> its process id
    tickets = _tickets(len(tasks))
    collecting = gc.isenabled()
    gc.disable()
    gc.freeze()  # a child's garbage collector then leaves the inherited objects, and their pages, alone
    try:
        for number in range(processes - 1):
            _fork(children, tickets, tasks, pinned if number == 0 else ())
        gc.unfreeze()
        if collecting:
            gc.enable()
        while (ticket := _take(tickets)) is not None:
            for file in tasks[ticket]():
                yield file
                yield from _ready(children, block=False)
        while children:
            yield from _ready(children, block=True)
    finally:
        os.close(tickets)
        _stop(children)
        gc.unfreeze()
        if collecting:
            gc.enable()


def _tickets(count: int) -> int:
    """A pipe holding the number of every task, for the processes to take one at a time."""
    read, write = os.pipe()
    data = b"".join(_TICKET.pack(number) for number in range(count))
    try:
        with contextlib.suppress(OSError):
            fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, max(len(data), 4096))
        os.set_blocking(write, False)
        if data and os.write(write, data) != len(data):
            raise OSError(errno.ENOSPC, "the pipe of tickets is too small for every task")
    except OSError:
        os.close(read)
        raise
    finally:
        os.close(write)
    return read


def _fork(children: dict[int, int], tickets: int, tasks: Sequence[Task], pinned: Sequence[Task]) -> None:
    read, write = os.pipe()
    with contextlib.suppress(OSError):
        fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    pid = os.fork()
    if pid == 0:  # the child: runs tasks, sends their files, and exits without returning into the caller
        os.close(read)
        for other in children:
            os.close(other)
        _child(tickets, tasks, pinned, write)
    os.close(write)
    children[read] = pid


def _ready(children: dict[int, int], block: bool) -> Iterator[File]:
    """The files of every child with something to send (waiting for one when `block`)."""
    ready, _, _ = select.select(list(children), [], [], None if block else 0)
    for pipe in ready:
        yield from _frames(children, pipe)


def _frames(children: dict[int, int], pipe: int) -> Iterator[File]:
    """The next file a child sends (with all of its pieces), or its end."""
    header = _read(pipe, _HEADER.size)
    if not header:
        _ended(children, pipe)
        return
    kind, path, data = _frame(children, pipe, header)
    if kind == _WHOLE:
        yield path, data
        return
    read: list[bool] = []
    yield path, _pieces(children, pipe, kind, data, read)
    if not read:
        # The rest of the file is still in the pipe, ahead of the next one.
        raise RuntimeError(f"{path} was not read to its end before the next file was asked for")


def _pieces(children: dict[int, int], pipe: int, kind: int, first: bytes, read: list[bool]) -> Iterator[bytes]:
    """A file's pieces, read from the child's pipe as they are asked for; `read` is told when the last one was."""
    yield first
    while kind == _PIECE:
        kind, _, data = _frame(children, pipe, _read(pipe, _HEADER.size))
        yield data
    read.append(True)


def _frame(children: dict[int, int], pipe: int, header: bytes) -> tuple[int, str, bytes]:
    """The rest of a frame after its header; a child's failure is raised here."""
    if not header:
        raise WorkerFailedError("a rendering process stopped in the middle of sending a file")
    kind, path_size, size = _HEADER.unpack(header)
    path = _read(pipe, path_size).decode("utf-8")
    data = _read(pipe, size)
    if kind == _ERROR:
        error, remote = pickle.loads(data)  # sent by a child of this process
        _stop(children)
        raise error from RemoteTracebackError(remote)
    return kind, path, data


def _ended(children: dict[int, int], pipe: int) -> None:
    """A child closed its pipe: it is done, or it died."""
    pid = children.pop(pipe)
    os.close(pipe)
    _, status = os.waitpid(pid, 0)
    if status:
        _stop(children)
        raise WorkerFailedError(f"a rendering process stopped unexpectedly ({_describe(status)})")


def _stop(children: dict[int, int]) -> None:
    """Stop and reap every child still running (after a failure, or when the caller stopped reading)."""
    for pipe, pid in list(children.items()):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        os.close(pipe)
        os.waitpid(pid, 0)
    children.clear()


def _child(tickets: int, tasks: Sequence[Task], pinned: Sequence[Task], pipe: int) -> None:
    """A forked child's whole life: run the pinned tasks, then tasks by ticket, sending every file; then exit."""
    status = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # on Ctrl-C the parent reports; the child just stops
        gc.enable()
        for task in pinned:
            _send_all(pipe, task())
        while (ticket := _take(tickets)) is not None:
            _send_all(pipe, tasks[ticket]())
    except BrokenPipeError:
        status = 1  # the parent stopped reading: nobody to tell
    except BaseException as error:  # everything goes back to the parent, which raises it
        status = 1
        remote = traceback.format_exc()
        try:
            data = pickle.dumps((error, remote))
        except Exception:  # an exception that cannot be pickled is sent as its text
            data = pickle.dumps((WorkerFailedError(f"{type(error).__name__}: {error}"), remote))
        with contextlib.suppress(OSError):
            _send(pipe, _ERROR, "", data)
    finally:
        os._exit(status)


def _send_all(pipe: int, files: Iterable[File]) -> None:
    for path, data in files:
        if isinstance(data, bytes):
            _send(pipe, _WHOLE, path, data)
            continue
        pieces = iter(data)
        piece = next(pieces, b"")
        for following in pieces:
            _send(pipe, _PIECE, path, piece)
            piece = following
        _send(pipe, _LAST, path, piece)


def _send(pipe: int, kind: int, path: str, data: bytes) -> None:
    name = path.encode("utf-8")
    view = memoryview(_HEADER.pack(kind, len(name), len(data)) + name + data)
    while view:
        view = view[os.write(pipe, view) :]


def _take(tickets: int) -> int | None:
    """The next task's number, or None when every task is taken (a 4-byte read from a pipe is never split)."""
    data = os.read(tickets, _TICKET.size)
    return _TICKET.unpack(data)[0] if data else None


def _read(pipe: int, size: int) -> bytes:
    """Exactly `size` bytes from a pipe (b'' at its end, before any byte)."""
    chunks = []
    while size:
        chunk = os.read(pipe, min(size, _PIPE_SIZE))
        if not chunk:
            if chunks:
                raise WorkerFailedError("a rendering process stopped in the middle of sending a file")
            return b""
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
