"""The build's cache folder: what a build keeps to save time on the next one.

It holds compiled templates, search indexes and Markdown conversions, each under a digest of
everything it was made from.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path


def private_folder(folder: Path | None) -> Path | None:
    """`folder`, made if need be, when it is safe to keep a cache in: this user's own, writable by nobody else.

    None when it is not (or cannot be made): what a cache holds is run as code or published with
    the site, so a folder others could write into must not be used.
    """
    if folder is None:
        return None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        return None
    return folder


def read_kept(file: Path) -> bytes | None:
    """What `keep` kept in `file`, or None when there is nothing; reading it marks it recently used."""
    try:
        data = file.read_bytes()
    except OSError:
        return None
    with contextlib.suppress(OSError):
        os.utime(file)  # recently used: kept longer
    return data


def keep(file: Path, data: bytes, count: int) -> None:
    """Keep `data` in `file` (written whole, then renamed), and only the `count` most recently used of its kind.

    Files of a kind share the name's prefix before the first '-' and its suffix. A cache that
    cannot be written only costs the next build time.
    """
    partial = file.with_name(file.name + ".part")
    try:
        partial.write_bytes(data)
        partial.replace(file)
        kind = f"{file.name.split('-', 1)[0]}-*{file.suffix}"
        kept = sorted(file.parent.glob(kind), key=lambda path: path.stat().st_mtime_ns)
        for old in kept[:-count]:
            old.unlink()
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink()
