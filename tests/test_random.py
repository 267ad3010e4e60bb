import numpy as np
import pytest

from modelcollapse.random import BLOCK_SIZE, ReplicationRandom, as_seed_sequence, block_seed


def test_blocks_match_spawned_children():
    root = np.random.SeedSequence(7)
    children = np.random.SeedSequence(7).spawn(3)
    for b in range(3):
        assert (
            block_seed(root, b).generate_state(4).tolist() == children[b].generate_state(4).tolist()
        )


def test_draws_do_not_depend_on_chunking():
    root = np.random.SeedSequence(3)
    total = 3 * BLOCK_SIZE + 17
    whole = ReplicationRandom(root, 0, total)
    a = whole.standard_normal((4,))
    g = whole.chisquare(9.0)
    parts = [
        ReplicationRandom(root, s, min(BLOCK_SIZE, total - s)) for s in range(0, total, BLOCK_SIZE)
    ]
    a2 = np.concatenate([p.standard_normal((4,)) for p in parts])
    g2 = np.concatenate([p.chisquare(9.0) for p in parts])
    assert np.array_equal(a, a2)
    assert np.array_equal(g, g2)


def test_per_replication_parameters_are_split_across_blocks():
    root = np.random.SeedSequence(11)
    size = BLOCK_SIZE + 5
    shape = np.linspace(1.0, 50.0, size)
    draws = ReplicationRandom(root, 0, size).standard_gamma(shape)
    tail = ReplicationRandom(root, BLOCK_SIZE, 5).standard_gamma(shape[BLOCK_SIZE:])
    assert np.array_equal(draws[BLOCK_SIZE:], tail)
    per_tail = ReplicationRandom(root, 0, 3).standard_gamma(np.array([1.0, 2.0]), (2,))
    assert per_tail.shape == (3, 2)


def test_chunk_must_start_on_a_block():
    with pytest.raises(ValueError, match="multiple"):
        ReplicationRandom(np.random.SeedSequence(0), 5, 10)


def test_chisquare_is_exact_for_huge_degrees_of_freedom():
    df = 1e15
    x = ReplicationRandom(np.random.SeedSequence(0), 0, 20000).chisquare(df) / df
    assert np.all(np.isfinite(x))
    assert abs(x.mean() - 1.0) < 4 * np.sqrt(2 / df / 20000)


@pytest.mark.parametrize("bad", [-1, 1.5, "x", True])
def test_bad_seed(bad):
    with pytest.raises(ValueError, match="^seed: must be a non-negative integer"):
        as_seed_sequence(bad)
