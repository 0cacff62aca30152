"""The build's cache folder: what a build keeps to save time on the next one (compiled templates, search indexes)."""

from __future__ import annotations

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
