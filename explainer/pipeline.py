"""The build pipeline end to end: load -> resolve -> render -> write."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .load import load_content, load_theme
from .model import Site
from .render import render_site
from .resolve import resolve
from .write import check_output, write_site


@dataclass(frozen=True)
class Built:
    """What a build produced."""

    site: Site
    files: int
    bytes: int


def check(content: Path, shown: str | None = None, base_url: str | None = None) -> Site:
    """Load and resolve a content folder; raises ContentError listing every problem."""
    return resolve(load_content(content, shown), base_url)


def build(
    content: Path,
    out: Path,
    templates: Path,
    *,
    shown: str | None = None,
    base_url: str | None = None,
) -> Built:
    """Build the site from `content` into `out`; nothing is written unless every step succeeds."""
    check_output(out, {"content folder": content, "templates folder": templates, "home folder": Path.home()})
    site = check(content, shown, base_url)
    files = render_site(site, load_theme(templates))
    written = write_site(out, files)
    return Built(site, len(files), written)
