"""Watch: notice every change to the files under some folders by comparing snapshots of them.

Polling needs no dependency and behaves the same on every file system. A snapshot records each
file's modification time, size and inode. File systems stamp times coarsely (a clock tick, or even
one or two seconds), so a second save in the same tick can leave all three unchanged; a file whose
time is that recent also gets a digest of its bytes, which the next snapshot compares (as git does
with "racily clean" files). So no save is missed, however soon it follows another.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

# Times at least this close to a snapshot's own time may not differ from a later write's.
RACY_NS = 2_000_000_000
SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules"})


Stamp = tuple[int, int, int]  # modification time (ns), size, inode: what changes with every write (but within one tick)


@dataclass(frozen=True)
class Snapshot:
    """The files under some folders at one moment."""

    taken_ns: int  # wall-clock time when the walk began
    stamps: Mapping[str, Stamp]  # file path -> its stamp
    digests: Mapping[str, bytes]  # file path -> digest of its bytes, for files whose time alone may not show a write

    @property
    def files(self) -> frozenset[Path]:
        """Every file in the snapshot."""
        return frozenset(Path(path) for path in self.stamps)

    def racy(self, path: str) -> bool:
        """True when a write after this snapshot could leave the file's stamp unchanged."""
        stamp = self.stamps.get(path)
        return stamp is not None and stamp[0] >= self.taken_ns - RACY_NS


def take(roots: Collection[Path], previous: Snapshot | None = None, exclude: Collection[Path] = ()) -> Snapshot:
    """Snapshot every file under `roots` (names starting with a dot are skipped, as loading skips them).

    `previous` is the snapshot this one will be compared with: files racy in it get a digest here too.
    Folders in `exclude` (such as an output folder inside a watched one) are not walked.
    """
    taken = time.time_ns()
    excluded = {os.path.realpath(path) for path in exclude}
    stamps: dict[str, Stamp] = {}
    digests: dict[str, bytes] = {}
    for root in roots:
        for path, stamp in _stamps(str(root), excluded):
            if stamp[0] >= taken - RACY_NS or (
                previous is not None and previous.stamps.get(path) == stamp and previous.racy(path)
            ):
                digest = _digest(path)
                if digest is None:
                    continue  # removed meanwhile
                digests[path] = digest
            stamps[path] = stamp
    return Snapshot(taken, MappingProxyType(stamps), MappingProxyType(digests))


def changed(old: Snapshot, new: Snapshot) -> set[Path]:
    """The files added, removed or modified from `old` to `new` (`new` taken with `old` as its previous)."""
    result = old.stamps.keys() ^ new.stamps.keys()
    for path, stamp in new.stamps.items():
        before = old.stamps.get(path)
        if before is not None and (before != stamp or (old.racy(path) and old.digests[path] != new.digests[path])):
            result.add(path)
    return {Path(path) for path in result}


def _stamps(root: str, excluded: set[str]) -> Iterator[tuple[str, Stamp]]:
    """Every file under `root` with its stamp, depth first; nothing when `root` does not exist."""
    try:
        entries = list(os.scandir(root))
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name in SKIPPED_FOLDERS:
            continue
        try:
            if entry.is_dir():
                if os.path.realpath(entry.path) not in excluded:
                    yield from _stamps(entry.path, excluded)
                continue
            stat = entry.stat()
        except OSError:
            continue  # removed between listing and looking: it is simply not there
        yield entry.path, (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _digest(path: str) -> bytes | None:
    try:
        with open(path, "rb") as file:
            return hashlib.blake2b(file.read(), digest_size=16).digest()
    except OSError:
        return None
