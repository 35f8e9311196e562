"""Fusion of dense and sparse rankings, alone."""

from kb.search import fusion


def test_rrf_rewards_agreement_and_ignores_magnitudes() -> None:
    fused = fusion.rrf([{"a": 0.9, "b": 0.8, "c": 0.1}, {"b": 30.0, "a": 1.0}], k=60)
    assert max(fused, key=fused.get) in ("a", "b")
    assert fused["c"] < fused["a"]
    assert fusion.rrf([{"a": 100.0, "b": 1.0}], k=10) == fusion.rrf([{"a": 2.0, "b": 1.9}], k=10)


def test_small_rrf_k_separates_ranks_more() -> None:
    wide, flat = fusion.rrf([{"a": 2, "b": 1}], k=1), fusion.rrf([{"a": 2, "b": 1}], k=60)
    assert wide["a"] / wide["b"] > flat["a"] / flat["b"]


def test_normalise_is_min_max() -> None:
    assert fusion.normalise({"a": 5.0, "b": 3.0, "c": 1.0}) == {"a": 1.0, "b": 0.5, "c": 0.0}
    assert fusion.normalise({"a": 2.0}) == {"a": 1.0}
    assert fusion.normalise({}) == {}


def test_weighted_keeps_magnitudes_and_weights() -> None:
    fused = fusion.weighted([{"a": 0.9, "b": 0.1}, {"b": 10.0, "a": 0.0}], [0.7, 0.3])
    assert fused == {"a": 0.7, "b": 0.3}
    assert fusion.weighted([{"a": 0.9, "b": 0.89, "c": 0.1}, {}], [1.0, 0.0])["b"] > 0.9


def test_strategies_are_the_functions_with_their_settings() -> None:
    dense, bm25 = {1: 0.9, 2: 0.5, 3: 0.1}, {2: 8.0, 4: 3.0}
    assert fusion.WeightedMinMax(0.7).fuse(dense, bm25) == fusion.weighted([dense, bm25], [0.7, 1 - 0.7])
    assert fusion.ReciprocalRank(10).fuse(dense, bm25) == fusion.rrf([dense, bm25], k=10)
    assert fusion.ReciprocalRank() == fusion.ReciprocalRank(fusion.RRF_K) == fusion.ReciprocalRank(60.0)


def test_the_shipped_default_is_equal_weight_min_max() -> None:
    """The one default both `kb find` and `kb eval` use (see README)."""
    assert fusion.WeightedMinMax(dense_weight=0.5) == fusion.DEFAULT


def test_weighted_adds_what_both_rankers_found_like_plain_arithmetic() -> None:
    import random

    rng = random.Random(3)
    for _ in range(200):
        rankings = [{rng.randint(0, 300): rng.random() * 10 for _ in range(rng.randint(0, 200))} for _ in range(2)]
        weights = [rng.random(), rng.random()]
        expected: dict[int, float] = {}
        for scores, weight in zip(rankings, weights, strict=True):
            for entry, value in fusion.normalise(scores).items():
                expected[entry] = expected.get(entry, 0.0) + weight * value
        got = fusion.weighted(rankings, weights)
        assert got.keys() == expected.keys()
        assert all(abs(got[e] - expected[e]) < 1e-12 for e in expected)
