"""Load again after files changed, reading only the changed files when that gives the same result.

Parsing YAML is most of a load (six of its eleven seconds on 1,000 articles), and an editor's
save changes one file: the preview keeps what it read last and reads that file alone.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from .load import SECTIONS, Content, SourceFile, load_content, read_file
from .problems import Problem


def reload_content(previous: Content | None, root: Path, changed: Collection[Path], shown_root: str) -> Content:
    """What `load_content(root, shown_root)` returns now, given the files changed since `previous` was loaded.

    Only files that were loaded before and are still there are read alone. A file added or
    removed, or anything else that changed, reads the whole folder again, because what the folder
    holds decides the folder's own problems (an unexpected file, a missing site.yml).
    """
    if previous is None or previous.root != root:
        return load_content(root, shown_root)
    where = {_file_path(root, source).resolve(): index for index, source in enumerate(previous.files)}
    targets = {path.resolve() for path in changed}
    if not targets.issubset(where) or not all(path.is_file() for path in targets):
        return load_content(root, shown_root)
    files = list(previous.files)
    replaced = {files[where[path]].path for path in targets}
    problems = [problem for problem in previous.problems if problem.path not in replaced]
    for index in sorted(where[path] for path in targets):
        source = files[index]
        read: list[Problem] = []
        # The path as loading names it (not resolved), so a symbolic link is still judged as one.
        files[index] = read_file(_file_path(root, source), root, source.section, source.path, read)[0]
        problems.extend(read)
    return Content(root, tuple(files), tuple(problems))


def _file_path(root: Path, source: SourceFile) -> Path:
    """The file a SourceFile was read from, as load_content names it."""
    if source.section == "site":
        return root / "site.yml"
    return root / source.section / f"{source.stem}{dict(SECTIONS)[source.section]}"
