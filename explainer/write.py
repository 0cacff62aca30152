"""Write: the only module that touches the output folder.

A build is written into a fresh folder beside the output and swapped into place, so a failed or
interrupted build never damages the last good site. A marker file lists what the build wrote;
without it, or with files in the folder that it does not list, the folder is not ours and is
left alone.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

MARKER = ".explainer-build"
MARKER_HEADER = "This folder was written by explainer; each build replaces it. Files it wrote:\n"


class OutputRefusedError(Exception):
    """The output folder is not one this tool may replace."""


def check_output(out: Path, protected: Mapping[str, Path]) -> None:
    """Refuse output folders whose replacement could destroy someone's files."""
    target = out.resolve()
    for name, path in protected.items():
        guarded = path.resolve()
        if target == guarded or guarded.is_relative_to(target):
            raise OutputRefusedError(f"refusing to build into {out}: it is or contains the {name} ({path})")
    if target == Path(target.anchor):
        raise OutputRefusedError(f"refusing to build into {out}: it is the file system root")
    if target.exists() and not target.is_dir():
        raise OutputRefusedError(f"refusing to build into {out}: it is a file, not a folder")
    if target.is_dir() and any(target.iterdir()):
        listed = _listed_files(target)
        if listed is None:
            raise OutputRefusedError(
                f"refusing to replace {out}: it was not made by explainer (no {MARKER} file) and is not empty; "
                "choose a new or empty folder with --out"
            )
        strangers = sorted(_all_files(target) - listed - {MARKER})
        if strangers:
            shown = ", ".join(strangers[:5]) + (f" and {len(strangers) - 5} more" if len(strangers) > 5 else "")
            raise OutputRefusedError(
                f"refusing to replace {out}: it holds files an earlier build did not write ({shown}); "
                "move them out of the folder first"
            )


def write_site(out: Path, files: Mapping[str, bytes]) -> int:
    """Write `files` as the new content of `out`, replacing an earlier build; return bytes written."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.new-{os.getpid()}"
    previous = out.parent / f".{out.name}.old-{os.getpid()}"
    _recover(out)
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    total = 0
    try:
        # The marker goes first, so a half-written staging folder is recognisably ours.
        marker = MARKER_HEADER + "".join(f"{path}\n" for path in sorted(files))
        (staging / MARKER).write_text(marker, encoding="utf-8")
        for path, content in sorted(files.items()):
            destination = staging / path
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(content)
            total += len(content)
        if out.exists():
            out.rename(previous)
        staging.rename(out)
    except BaseException:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        if previous.exists() and not out.exists():
            previous.rename(out)
        raise
    if previous.exists():
        shutil.rmtree(previous)
    return total


def _recover(out: Path) -> None:
    """Put back or clear what an interrupted build left beside `out` (only folders it marked)."""
    for leftover in sorted(out.parent.glob(f".{out.name}.old-*")):
        if _listed_files(leftover) is None:
            continue
        if out.exists():
            shutil.rmtree(leftover)
        else:
            leftover.rename(out)
    for leftover in out.parent.glob(f".{out.name}.new-*"):
        if (leftover / MARKER).is_file():
            shutil.rmtree(leftover)


def _listed_files(folder: Path) -> set[str] | None:
    marker = folder / MARKER
    if not marker.is_file():
        return None
    text = marker.read_text(encoding="utf-8", errors="replace")
    if not text.startswith(MARKER_HEADER):
        return None
    return {line for line in text[len(MARKER_HEADER) :].split("\n") if line}


def _all_files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}
