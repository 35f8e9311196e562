"""Measure where the duplicate-warning threshold should sit, on the real content.

For every published entry: its highest similarity to another real entry (distinct
entries, same type and any type), and its similarity to lightly edited copies of
itself (what a second contributor resubmitting the same case might send). A good
threshold lies above the first and below the second.

    .venv/bin/python bench/similarity_threshold.py   (needs a built index: kb index)
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.core import KnowledgeBase
from kb.search.similarity import SIMILAR_THRESHOLD, Catalogue, entry_vector

TEXT_FIELDS = ("summary", "detail", "challenge", "approach", "quote", "question")
SYNONYMS = {
    "staff": "workers",
    "team": "group",
    "teams": "groups",
    "patients": "people",
    "care": "support",
    "GP": "family doctor",
    "GPs": "family doctors",
    "hospital": "acute trust",
    "nurses": "nursing staff",
    "training": "education",
    "new": "novel",
}


def _sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+", " ".join(text.split()))


def trimmed(data: dict) -> dict:
    """Drop the last sentence of every multi-sentence text field."""
    out = dict(data)
    for name in TEXT_FIELDS:
        if isinstance(out.get(name), str) and len(_sentences(out[name])) > 1:
            out[name] = " ".join(_sentences(out[name])[:-1])
    return out


def dropout(data: dict, rate: float = 0.15, seed: int = 0) -> dict:
    """Lose about one word in seven from every text field (a sloppy retyping)."""
    rng = random.Random(seed)
    out = dict(data)
    for name in TEXT_FIELDS + ("title",):
        if isinstance(out.get(name), str):
            words = out[name].split()
            out[name] = " ".join(w for w in words if rng.random() > rate) or words[0]
    return out


def reworded(data: dict) -> dict:
    """Swap common words for synonyms and retitle: the same case told a little differently."""
    out = dict(data)
    for name in TEXT_FIELDS + ("title",):
        if isinstance(out.get(name), str):
            out[name] = " ".join(SYNONYMS.get(w, w) for w in out[name].split())
    out["title"] = "How " + out["title"][0].lower() + out["title"][1:]
    return out


def bare(data: dict) -> dict:
    """Only the required text: title, summary (and approach for a case study)."""
    keep = {"id", "type", "title", "summary", "approach", "organisation", "organisation_kind", "sources", "contributor", "added"}
    return {k: v for k, v in data.items() if k in keep or k in ("group",)}


EDITS = {"trimmed": trimmed, "dropout": dropout, "reworded": reworded, "bare": bare}


def main() -> None:
    from kb.models import ENTRY_MODELS

    kb = KnowledgeBase.open("content")
    kb.searcher()  # builds or refreshes the index if needed
    catalogue = Catalogue.load(kb.data_dir)
    encoder = catalogue.encoder()
    entries = kb.content.published()
    scores = catalogue.vectors @ catalogue.vectors.T
    np.fill_diagonal(scores, -1)
    types = [r["type"] for r in catalogue.records]
    same_type = np.array([[a == b for b in types] for a in types])
    max_same = np.where(same_type, scores, -1).max(axis=1)
    max_any = scores.max(axis=1)
    worst = int(np.argmax(max_same))
    partner = int(np.argmax(np.where(same_type, scores, -1)[worst]))
    print(f"{len(entries)} published entries")
    print(
        f"distinct, same type: max {max_same.max():.3f}  p95 {np.percentile(max_same, 95):.3f}  median {np.median(max_same):.3f}"
        f"  (closest pair: {catalogue.records[worst]['id']} ~ {catalogue.records[partner]['id']})"
    )
    print(f"distinct, any type:  max {max_any.max():.3f}  above {SIMILAR_THRESHOLD}: {int((max_any >= SIMILAR_THRESHOLD).sum())} entries")
    candidates = (0.85, 0.86, 0.87, 0.88, 0.89, 0.90, 0.92)
    pairs = scores[np.triu(same_type, 1)]
    print("threshold  distinct same-type pairs at/above  (of", len(pairs), ")")
    for t in candidates:
        print(f"  {t:.2f}     {int((pairs >= t).sum())}")
    light: list[float] = []
    for name, edit in EDITS.items():
        sims = []
        for entry in entries:
            data = edit(entry.model_dump(mode="python", exclude_none=True))
            copy = ENTRY_MODELS[entry.type].model_validate(data | {"id": entry.id + "-copy"})
            sims.append(float(entry_vector(copy, encoder) @ catalogue.vector(entry)))
        arr = np.array(sims)
        print(
            f"edited copy ({name:8}): min {arr.min():.3f}  p5 {np.percentile(arr, 5):.3f}  median {np.median(arr):.3f}"
            f"  below {SIMILAR_THRESHOLD}: {int((arr < SIMILAR_THRESHOLD).sum())}"
        )
        if name != "bare":
            light += sims
        low = sorted(zip(sims, (e.id for e in entries), strict=True))[:3]
        print("   lowest:", ", ".join(f"{i} {v:.3f}" for v, i in low))
    arr = np.array(light)
    print(f"light edits (trimmed, dropout, reworded; {len(arr)} copies) caught at each threshold:")
    for t in candidates:
        print(f"  {t:.2f}     {(arr >= t).mean():.1%}")


if __name__ == "__main__":
    main()
