"""How long the live preview takes from a save to the reloaded page.

    python -m benchmarks.preview [CONTENT] [--runs N] [--no-browser]

Copies CONTENT (default: content/) into a temporary folder, so the real one is never touched;
starts `python build.py serve` on it; opens the page of an annotated article in headless
Chromium (Debian's, at /usr/bin/chromium, driven by Playwright); then, N times, edits the
comment of an annotation shown on that page (one line, in place, as an editor's save) and
measures the time from the save to the page having reloaded itself with the new comment.
With --no-browser it measures the time from the save to the new page being served instead.
The preview's own account of each rebuild (its steps' times) is printed beside it.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
STARTUP_SECONDS = 600  # a 1,000-article corpus takes a while to build the first time


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the times."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.preview", description=__doc__.split("\n\n")[0])
    parser.add_argument("content", nargs="?", default=str(ROOT / "content"), help="the content folder to copy")
    parser.add_argument("--runs", type=int, default=5, help="how many saves to time (default: 5)")
    parser.add_argument("--no-browser", action="store_true", help="time until the page is served, not reloaded")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="explainer-preview-bench-") as work:
        content = Path(work) / "content"
        shutil.copytree(args.content, content)
        topic, article = _annotated(content)
        port = _free_port()
        command = [sys.executable, str(ROOT / "build.py"), "serve", "--content", str(content),
                   "--out", str(Path(work) / "out"), "--port", str(port)]  # fmt: skip
        started = time.perf_counter()
        server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines: list[str] = []
        threading.Thread(target=lambda: lines.extend(iter(server.stdout.readline, "")), daemon=True).start()  # type: ignore[union-attr]
        try:
            _wait(lambda: any(line.startswith("Serving") for line in lines), STARTUP_SECONDS, lines)
            print(f"{args.content}: {_first(lines, 'Built')} (ready after {time.perf_counter() - started:.1f} s)")
            url = f"http://127.0.0.1:{port}/articles/{article}.html"
            print(f"Editing a comment in {topic.relative_to(content)}; watching {url}")
            measure = _measure_served if args.no_browser else _measure_reloaded
            times = measure(url, topic, args.runs, lines)
        finally:
            server.terminate()
            server.wait(timeout=60)
    what = "served" if args.no_browser else "reloaded in Chromium"
    print(
        f"save -> page {what}: median {statistics.median(times):.2f} s, "
        f"min {min(times):.2f} s, max {max(times):.2f} s over {len(times)} saves"
    )
    return 0


def _measure_reloaded(url: str, topic: Path, runs: int, lines: list[str]) -> list[float]:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(url, wait_until="load")
        page.wait_for_function("() => window.LiveReload?.connector?.protocol === 7")
        for run in range(1, runs + 1):
            marker = f"Edited{run}x"
            page.evaluate("() => { window.beforeTheSave = true; }")
            reported = len(lines)
            saved = _save(topic, marker)
            page.wait_for_function(
                f"() => !window.beforeTheSave && document.body.innerText.includes('{marker}')", timeout=600_000
            )
            page.wait_for_load_state("load")
            times.append(time.perf_counter() - saved)
            _report(run, times[-1], lines, reported)
            time.sleep(0.5)
        browser.close()
    return times


def _measure_served(url: str, topic: Path, runs: int, lines: list[str]) -> list[float]:
    times = []
    for run in range(1, runs + 1):
        marker = f"Edited{run}x"
        reported = len(lines)
        saved = _save(topic, marker)
        _wait(lambda m=marker: m in _get(url), 600, lines)
        times.append(time.perf_counter() - saved)
        _report(run, times[-1], lines, reported)
        time.sleep(0.5)
    return times


def _report(run: int, seconds: float, lines: list[str], since: int) -> None:
    rebuilt = next((line.strip() for line in lines[since:] if line.startswith("Rebuilt")), "(no rebuild line yet)")
    print(f"  save {run}: {seconds:.2f} s; the preview said: {rebuilt}")


def _annotated(content: Path) -> tuple[Path, str]:
    """The first topic with a commented annotation, and the article of that annotation's first passage."""
    for topic in sorted((content / "annotations").glob("*.yml")):
        for annotation in yaml.safe_load(topic.read_text(encoding="utf-8")).get("annotations") or []:
            if annotation.get("comment") and annotation.get("passages"):
                return topic, annotation["passages"][0]["article"]
    raise SystemExit(f"no annotation with a comment in {content}")


def _save(topic: Path, marker: str) -> float:
    """Put `marker` at the start of the first comment (same lines, as a small edit does); return when saved."""
    text = topic.read_text(encoding="utf-8")
    at = _comment_start(text)
    text = text[:at] + marker + " " + text[at:]
    saved = time.perf_counter()
    topic.write_text(text, encoding="utf-8")
    return saved


def _comment_start(text: str) -> int:
    """Where the text of the first annotation's comment starts in the file."""
    root = yaml.compose(text)
    annotations = next(value for key, value in root.value if key.value == "annotations")
    for item in annotations.value:
        for key, value in item.value:
            if key.value != "comment":
                continue
            if value.style in ("'", '"'):
                return value.start_mark.index + 1
            if value.style in ("|", ">"):
                line = text.index("\n", value.start_mark.index) + 1
                return line + len(text[line:]) - len(text[line:].lstrip(" "))
            return value.start_mark.index
    raise SystemExit("no comment to edit")


def _wait(ready: Callable[[], bool], seconds: float, lines: list[str]) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise SystemExit("the preview did not get there in time; it printed:\n" + "".join(lines))
        time.sleep(0.01)


def _get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read().decode("utf-8")
    except OSError:
        return ""


def _first(lines: list[str], prefix: str) -> str:
    return next((line.strip() for line in lines if line.startswith(prefix)), "")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
