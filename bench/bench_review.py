"""Contributing and reviewing in the browser, as people feel it: a real `kb serve` over a
git copy of the content and Debian chromium. Times how long the contribute page takes to
show its form, how long "Check" takes to answer with the preview, and how long after a
reviewer presses "Approve" on /review/ the entry's page is live (what the review page
itself reports, and what a reader sees).

    .venv/bin/python bench/bench_review.py [--entries real|N] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_publish import project, serve, submission
from bench.common import KB, median
from tests.conftest import CHROMIUM, CHROMIUM_ARGS


def invite(paths: list[str], name: str, role: str, base: str) -> str:
    out = subprocess.run([KB, "token", "create", "--name", name, "--role", role, "--base-url", base, *paths], capture_output=True, text=True, check=True).stdout
    return next(line.strip() for line in out.splitlines() if "#token=" in line)


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", default="real", help="'real' (the real content) or a number of synthetic case studies")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name, sync_playwright() as p:
        tmp = Path(name)
        project(tmp, args.entries)
        primary = tmp / "primary"
        paths = ["--content", str(primary / "content"), "--data", str(primary / ".kb")]
        base, proc = serve(primary)
        contributor, reviewer = invite(paths, "bench-contributor", "contributor", base), invite(paths, "bench-reviewer", "reviewer", base)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        form_ready, checked, approve_page, approve_reader = [], [], [], []
        for n in range(args.runs):
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            start = time.monotonic()
            page.goto(contributor)
            page.locator("#kb-contribute-form:not([hidden])").wait_for(timeout=60_000)
            form_ready.append(time.monotonic() - start)
            entry = submission(n)
            page.get_by_label("Title", exact=True).fill(str(entry["title"]))
            page.get_by_label("Summary", exact=True).fill(str(entry["summary"]))
            page.get_by_label("Source document").select_option("ncm-workforce-2017")
            page.get_by_label("Page", exact=True).fill("12")
            page.get_by_label("Organisation", exact=True).fill(str(entry["organisation"]))
            page.get_by_label("Organisation kind").select_option("other")
            page.get_by_label("Approach", exact=True).fill(str(entry["approach"]))
            start = time.monotonic()
            page.get_by_role("button", name="Check").click()
            page.frame_locator("iframe[title='Preview of your entry']").get_by_role("heading", name=str(entry["title"])).wait_for(timeout=60_000)
            checked.append(time.monotonic() - start)
            page.get_by_role("button", name="Submit for review").click()
            page.locator("#kb-contribute-done").get_by_role("heading", name="Submitted").wait_for(timeout=60_000)
            entry_id = re.search(r"Its id is ([a-z0-9-]+)", page.locator("#kb-contribute-done").inner_text()).group(1)  # type: ignore[union-attr]

            review = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            review.goto(reviewer.replace("/contribute/", "/review/"))
            review.get_by_role("button", name=str(entry["title"])).click()
            review.get_by_role("button", name="Approve").wait_for(timeout=60_000)
            start = time.monotonic()
            review.get_by_role("button", name="Approve").click()
            while httpx.get(f"{base}/case-studies/{entry_id}/", timeout=30).status_code != 200:
                time.sleep(0.1)
            approve_reader.append(time.monotonic() - start)
            said = review.locator("#kb-review-detail").get_by_text(re.compile(r"Live after \d+ s"))
            said.wait_for(timeout=300_000)
            approve_page.append(float(re.search(r"Live after (\d+) s", said.inner_text()).group(1)))  # type: ignore[union-attr]
            print(
                f"run {n + 1}: form {form_ready[-1]:.2f} s, check {checked[-1]:.2f} s, approve -> live {approve_reader[-1]:.1f} s (the page said {approve_page[-1]:.0f} s)",
                flush=True,
            )
            page.context.close()
            review.context.close()
        browser.close()
        proc.terminate()
        proc.wait(timeout=60)
    print(f"\n== contribute and review in the browser: {args.entries} content, {args.runs} runs ==")
    print(f"contribute page to a ready form (sign-in, schema): median {median(form_ready):.2f} s, max {max(form_ready):.2f} s")
    print(f"'Check' to the preview shown: median {median(checked):.2f} s, max {max(checked):.2f} s")
    print(f"'Approve' to the page served to a reader: median {median(approve_reader):.1f} s, max {max(approve_reader):.1f} s")
    print(f"'Approve' to the review page saying 'Live': median {median(approve_page):.0f} s, max {max(approve_page):.0f} s")


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
