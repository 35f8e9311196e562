"""Site build time: `kb site build` as a whole process, for the real content and for
1,000 synthetic case studies (made from the real ones' sentences).

    .venv/bin/python bench/bench_site.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import KB, ROOT, fmt, median, time_process


def synthetic_project(root: Path, n: int) -> Path:
    content = root / "content"
    (content / "case_studies").mkdir(parents=True)
    for name in ("taxonomy.yaml", "sources.yaml"):
        shutil.copy(ROOT / "content" / name, content / name)
    real = [yaml.safe_load(p.read_text()) for p in sorted((ROOT / "content" / "case_studies").glob("*.yaml"))]
    sentences = [s for e in real for s in (e["summary"] + " " + e["approach"]).split(". ") if len(s) > 30]
    themes = [t["id"] for t in yaml.safe_load((content / "taxonomy.yaml").read_text())["themes"]]
    rng = random.Random(11)
    for i in range(n):
        entry = {
            "id": f"synthetic-{i}",
            "type": "case-study",
            "title": f"Synthetic case study {i}",
            "organisation": f"Organisation {i % 300}",
            "organisation_kind": rng.choice(["vanguard", "primary-care-home", "other"]),
            "summary": rng.choice(sentences),
            "challenge": rng.choice(sentences),
            "approach": " ".join(rng.sample(sentences, 2)),
            "outcomes": {"cost": rng.choice(sentences)} if i % 3 == 0 else {},
            "metrics": [
                {
                    "measure": "Admissions",
                    "value": i % 40,
                    "unit": "percent",
                    "direction": "decrease",
                    "as_reported": f"{i % 40}% fewer admissions",
                    "aim": "cost",
                }
            ]
            if i % 5 == 0
            else [],
            "themes": rng.sample(themes, 2),
            "sources": [{"document": "ncm-workforce-2017", "page": 1 + i % 28}],
            "contributor": "bench",
            "status": "published",
            "added": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
        }
        (content / "case_studies" / f"synthetic-{i}.yaml").write_text(yaml.safe_dump(entry, sort_keys=False))
    return content


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 2 if args.quick else 3
    print("== site build ==")
    with tempfile.TemporaryDirectory() as tmp:
        real = time_process([KB, "site", "build", "--out", str(Path(tmp) / "real")], runs, env={"KB_CONTENT": str(ROOT / "content")})
        print(f"`kb site build`, real content (91 entries), {runs} runs: median {fmt(median(real))}")
        n = 200 if args.quick else 1000
        content = synthetic_project(Path(tmp) / "synthetic", n)
        env = {"KB_CONTENT": str(content), "KB_DATA": str(Path(tmp) / "synthetic" / ".kb")}
        start = time.perf_counter()
        time_process([KB, "index"], 1, env=env)
        print(f"`kb index`, {n} synthetic case studies: {fmt(time.perf_counter() - start)} (once; the site needs it for similar case studies)")
        synthetic = time_process([KB, "site", "build", "--out", str(Path(tmp) / "synthetic-site")], runs, env=env)
        print(f"`kb site build`, {n} synthetic case studies, {runs} runs: median {fmt(median(synthetic))}")


if __name__ == "__main__":
    main()
