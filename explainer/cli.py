"""Command line: parse arguments, run the pipeline, report problems and set the exit code."""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import pipeline
from .problems import ContentError, report_lines
from .progress import Progress
from .progress import summary as build_summary
from .write import OutputRefusedError

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CODE = Path(__file__).resolve().parent  # the preview restarts when it changes

DESCRIPTION = """\
Build an annotated explainer: source articles, context notes and annotations under a content
folder become a cross-referenced static website."""

EPILOG = """\
"python build.py COMMAND --help" shows a command's options. With no command, build.

exit status: 0 when the content is clean (or the command did what was asked), 1 when there are
problems, 2 on bad usage. The command line is described in docs/cli.md, the content format in
docs/content-format.md."""

# Every option the command line had before it had subcommands, given before or after the command.
# Each command shows the ones it uses; the others are still accepted (and ignored), as they always were.
_SITE_OPTIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("--content", {"default": "content", "metavar": "DIR", "help": "the content folder (default: content)"}),
    ("--out", {"default": "site", "metavar": "DIR", "help": "where to write the site (default: site)"}),
    (
        "--base-url",
        {
            "default": None,
            "metavar": "URL",
            "help": "the published URL, e.g. https://user.github.io/repo/ (overrides site.yml)",
        },
    ),
    (
        "--host",
        {"default": "127.0.0.1", "help": "the address to listen on (default: 127.0.0.1, this machine only)"},
    ),
    ("--port", {"default": 8000, "type": int, "help": "the port (default: 8000)"}),
    ("--open", {"default": False, "action": "store_true", "help": "open the site in the web browser"}),
)

_COMMANDS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    # name, one line for the list of commands, the description on its own help, the site options it shows
    (
        "build",
        "check the content and write the site (the default)",
        "Check the content and write the site into --out. A build with problems writes nothing.",
        ("--content", "--out", "--base-url"),
    ),
    (
        "check",
        "check the content and report every problem; write nothing",
        "Check the content and report every problem, as path:line: message, sorted; write nothing.",
        ("--content", "--base-url"),
    ),
    (
        "serve",
        "build, then serve the site with live reload while you edit (docs/preview.md)",
        "Build, then serve the site with live reload while you edit: every save rebuilds what it changes "
        "and reloads the browser; problems show in the browser (docs/preview.md).",
        ("--content", "--out", "--base-url", "--host", "--port", "--open"),
    ),
    (
        "report",
        "check the content, then print the editor's coverage report",
        "Check the content, then print the editor's coverage report: how much of each source is annotated, "
        "figures and names not yet covered, links per pair of sources, notes nothing cites, annotations by "
        "relation.",
        ("--content", "--base-url"),
    ),
    (
        "quote",
        "print a passage entry for words of an article, with the context that makes it unique",
        "Print a passage entry, ready to paste under passages: in a topic file, for WORDS of ARTICLE, with "
        "the shortest prefix or suffix that makes it unique; or, with --paragraph N, print paragraph N of "
        "ARTICLE, numbered as check numbers paragraphs.",
        ("--content",),
    ),
    (
        "init",
        "create a new explainer in a folder, with an example of every kind of file",
        "Create a new explainer in DIR (which must not exist or be empty): site.yml, an example article, note "
        "and topic that pass check and build at once. The engine's templates are used, not copied.",
        (),
    ),
)
_LEGACY = ("build", "check", "serve", "report")  # commands that accept every site option


def parser() -> argparse.ArgumentParser:
    """The argument parser for build.py."""
    p = argparse.ArgumentParser(
        prog="python build.py",
        usage="%(prog)s [COMMAND] [options]",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = p.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    for name, summary, description, options in _COMMANDS:
        command = commands.add_parser(name, prog=f"python build.py {name}", help=summary, description=description)
        if name in _LEGACY:
            for flag, settings in _SITE_OPTIONS:
                # SUPPRESS: an option not given after the command keeps what was given before it.
                command.add_argument(
                    flag,
                    **{
                        **settings,
                        "default": argparse.SUPPRESS,
                        "help": settings["help"] if flag in options else argparse.SUPPRESS,
                    },
                )
    shown = p.add_argument_group("options of build, the default command (also accepted before any command)")
    for flag, settings in _SITE_OPTIONS:
        visible = flag in ("--content", "--out", "--base-url")
        shown.add_argument(flag, **{**settings, "help": settings["help"] if visible else argparse.SUPPRESS})
    quote = commands.choices["quote"]
    quote.add_argument("article", metavar="ARTICLE", help="an article's slug in --content, or the path of its file")
    quote.add_argument("words", metavar="WORDS", nargs="*", help="the words to quote (quote them for the shell)")
    quote.add_argument("--paragraph", metavar="N", type=int, help="print paragraph N instead, for copying")
    quote.add_argument("--content", default=argparse.SUPPRESS, metavar="DIR", help=_SITE_OPTIONS[0][1]["help"])
    init = commands.choices["init"]
    init.add_argument("folder", metavar="DIR", help="the folder to create (absent or empty)")
    return p


def main(
    argv: Sequence[str] | None = None,
    templates: Path = TEMPLATES,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run one command; return the exit status."""
    out_stream = stdout or sys.stdout
    err_stream = stderr or sys.stderr
    with contextlib.redirect_stdout(out_stream), contextlib.redirect_stderr(err_stream):
        args = parser().parse_args(argv)
    if args.command == "quote":
        return quote(args, out_stream, err_stream)
    if args.command == "init":
        return init(Path(args.folder), args.folder, out_stream, err_stream)
    content = Path(args.content)
    if args.base_url is not None and not args.base_url.startswith(("http://", "https://")):
        print(
            f"python build.py: error: --base-url must start with http:// or https://, not '{args.base_url}'",
            file=err_stream,
        )
        return 2
    started = time.perf_counter()
    try:
        if args.command == "check":
            site = pipeline.check(content, args.content, args.base_url)
            counts = _counts(site)
            print(f"No problems in {args.content}: {counts}.", file=out_stream)
            return 0
        if args.command == "report":
            from .report import coverage, format_report

            site = pipeline.check(content, args.content, args.base_url)
            out_stream.write(format_report(site, coverage(site)))
            return 0
        if args.command == "serve":
            from .serve import serve

            return serve(
                content,
                Path(args.out),
                templates,
                shown=args.content,
                base_url=args.base_url,
                host=args.host,
                port=args.port,
                stdout=out_stream,
                stderr=err_stream,
                open_browser=args.open,
                code=CODE if argv is None else None,  # only a real command line restarts itself
                cache=cache_folder(),
            )
        # Progress goes to stderr, so stdout holds only the summary: a bar on a terminal, lines elsewhere.
        progress = Progress(err_stream, _is_terminal(err_stream))
        built = pipeline.build(
            content,
            Path(args.out),
            templates,
            shown=args.content,
            base_url=args.base_url,
            progress=progress,
            cache=cache_folder(),
        )
    except ContentError as error:
        report(error, err_stream)
        return 1
    except OutputRefusedError as refused:
        print(f"python build.py: {refused}", file=err_stream)
        return 1
    seconds = time.perf_counter() - started
    print(build_summary(args.out, built.paths, _counts(built.site), seconds), file=out_stream)
    return 0


def cache_folder() -> Path:
    """Where builds keep what saves time on the next one: explainer/ in the user's cache folder (XDG_CACHE_HOME)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "explainer"


def quote(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """The quote command: a passage entry for words of an article, or one of its paragraphs."""
    from .quote import QuoteError, entries, format_entries, format_paragraph, read_source

    words = " ".join(args.words)
    if words and args.paragraph is not None:
        print("python build.py quote: error: give the words to quote or --paragraph N, not both", file=stderr)
        return 2
    if not words and args.paragraph is None:
        print("python build.py quote: error: give the words to quote (or --paragraph N)", file=stderr)
        return 2
    try:
        source = read_source(Path(args.content), args.article, args.content)
        if args.paragraph is not None:
            stdout.write(format_paragraph(source, args.paragraph))
        else:
            stdout.write(format_entries(source, entries(source, words)))
    except QuoteError as error:
        print(f"python build.py quote: {error.message}", file=stderr)
        return 1
    return 0


def init(folder: Path, shown: str, stdout: TextIO, stderr: TextIO) -> int:
    """The init command: a new explainer in `folder`, and what to do next."""
    from .scaffold import ScaffoldRefusedError, create

    try:
        files = create(folder)
    except ScaffoldRefusedError as refused:
        print(f"python build.py init: {refused}", file=stderr)
        return 1
    except OSError as error:
        print(f"python build.py init: cannot create {shown}: {error.strerror or error}", file=stderr)
        return 1
    where = shlex.quote(shown)
    print(f"Created a new explainer in {shown}: {', '.join(files)}.", file=stdout)
    print("Check it, then preview it while you replace the examples with your own sources:", file=stdout)
    print(f"  python build.py check --content {where}", file=stdout)
    print(f"  python build.py serve --content {where}", file=stdout)
    return 0


def report(error: ContentError, stream: TextIO) -> None:
    """Print every problem, sorted, then the one-line summary."""
    print("\n".join(report_lines(error.problems)), file=stream)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _counts(site: pipeline.Site) -> str:
    def n(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    return ", ".join(
        (
            n(len(site.articles), "article"),
            n(len(site.notes), "note"),
            n(len(site.topics), "topic"),
            n(len(site.annotations), "annotation"),
            n(len(site.pairs), "compared pair"),
        )
    )
