"""Warm brief generation time per format, on the real content (issue 17: under 1 s).

"Warm": the index is loaded and one brief made first, as in a running `kb serve`; each
run then assembles the brief afresh (six searches) and renders it. Also the cold
`kb brief` process, for the command line.

    .venv/bin/python bench/bench_brief.py [RUNS]   (needs a built index: kb index)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import KB, ROOT, fmt, median, time_process
from kb.brief.formats import FORMATS
from kb.core import KnowledgeBase

CHALLENGE = "frailty workforce"


def main(runs: int = 21) -> None:
    kb = KnowledgeBase.open(ROOT / "content", ROOT / ".kb")
    for fmt_ in FORMATS.values():
        fmt_.render(kb.brief(CHALLENGE))  # warm: index, model, content and python-docx loaded
    print(f"kb brief {CHALLENGE!r} on the real content ({len(kb.content.published())} entries), median of {runs} runs:")
    assembly = []
    for _ in range(runs):
        start = time.perf_counter()
        kb.brief(CHALLENGE)
        assembly.append(time.perf_counter() - start)
    print(f"  assemble (6 searches, no rendering)  {fmt(median(assembly))}")
    for name, chosen in FORMATS.items():
        times = []
        size = 0
        for _ in range(runs):
            start = time.perf_counter()
            size = len(chosen.render(kb.brief(CHALLENGE)))
            times.append(time.perf_counter() - start)
        print(f"  warm, assemble + render {name:<5}       {fmt(median(times))}  ({size / 1024:.0f} KB)")
    with tempfile.TemporaryDirectory() as folder:
        for name in ("md", "docx"):
            cold = time_process([KB, "brief", CHALLENGE, "--format", name, "--out", f"{folder}/brief.{name}"], max(3, runs // 4))
            print(f"  cold `kb brief --format {name}` process {fmt(median(cold))}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 21)
