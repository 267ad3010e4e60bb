import numpy as np
import pytest

from modelcollapse.random import (
    BLOCK_SIZE,
    ReplicationRandom,
    SharedNoise,
    as_seed_sequence,
    block_seed,
    block_size_for,
)


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
    with pytest.raises(ValueError, match="multiple of 64"):
        ReplicationRandom(np.random.SeedSequence(0), 100, 10, block_size=64)


def test_block_size_for_large_samples():
    assert [block_size_for(p) for p in (1, 100, 1024)] == [BLOCK_SIZE] * 3
    sizes = [block_size_for(p) for p in (1025, 2048, 2049, 10_000, 10**5, 10**7)]
    assert sizes == [512, 512, 256, 64, 16, 16]
    for p in (1025, 3000, 10_000, 50_000):  # a power of two, at most 2^20 points per block
        b = block_size_for(p)
        assert b & (b - 1) == 0 and b * p <= 2**20 < 2 * b * p


def test_smaller_blocks_are_their_own_streams_and_do_not_depend_on_chunking():
    root = np.random.SeedSequence(5)
    whole = ReplicationRandom(root, 0, 200, block_size=64)
    a = whole.standard_normal((3,))
    lam = np.linspace(0.5, 9.0, 200)
    p = whole.poisson(lam)
    parts = [ReplicationRandom(root, s, min(64, 200 - s), block_size=64) for s in (0, 64, 128, 192)]
    assert np.array_equal(a, np.concatenate([q.standard_normal((3,)) for q in parts]))
    assert np.array_equal(
        p,
        np.concatenate(
            [q.poisson(lam[s : s + 64]) for s, q in zip((0, 64, 128, 192), parts, strict=True)]
        ),
    )
    # Block b is seeded by its index alone: a default reader of the first 64 replications
    # draws what the first small block draws.
    first = ReplicationRandom(root, 0, 64).standard_normal((3,))
    assert np.array_equal(first, a[:64])
    with pytest.raises(Exception, match="block_size"):
        ReplicationRandom(root, 0, 10, block_size=0)


def test_chisquare_is_exact_for_huge_degrees_of_freedom():
    df = 1e15
    x = ReplicationRandom(np.random.SeedSequence(0), 0, 20000).chisquare(df) / df
    assert np.all(np.isfinite(x))
    assert abs(x.mean() - 1.0) < 4 * np.sqrt(2 / df / 20000)


@pytest.mark.parametrize("bad", [-1, 1.5, "x", True])
def test_bad_seed(bad):
    with pytest.raises(ValueError, match="^seed: must be a non-negative integer"):
        as_seed_sequence(bad)


def test_noise_draws_do_not_depend_on_parametric_draws():
    """Noise and parametric draws come from separate generators: interleaving parametric
    draws never shifts the noise (what makes common random numbers possible)."""
    root = np.random.SeedSequence(5)
    plain = ReplicationRandom(root, 0, 40, stream=1)
    a = plain.standard_normal((3,))
    b = plain.uniform()
    mixed = ReplicationRandom(root, 0, 40, stream=1)
    lam = np.linspace(1.0, 9.0, 40)
    mixed.poisson(lam)
    a2 = mixed.standard_normal((3,))
    mixed.multinomial(5, np.full((40, 2), 0.5))
    b2 = mixed.uniform()
    assert np.array_equal(a, a2) and np.array_equal(b, b2)
    other_stream = ReplicationRandom(root, 0, 40, stream=0).standard_normal((3,))
    assert not np.array_equal(a, other_stream)


def test_shared_noise_hands_every_arm_the_same_read_only_draws():
    root = np.random.SeedSequence(8)
    shared = SharedNoise(ReplicationRandom(root, 0, 30, stream=1))
    arms = [ReplicationRandom(root, 0, 30, stream=1, shared=shared) for _ in range(2)]
    alone = ReplicationRandom(root, 0, 30, stream=1)
    for _ in range(2):
        shared.new_round()
        first = [arm.standard_normal((2,)) for arm in arms]
        second = [arm.standard_gamma(2.5) for arm in arms]
        assert np.array_equal(first[0], alone.standard_normal((2,)))
        assert first[0] is first[1] and second[0] is second[1]
        assert np.array_equal(second[1], alone.standard_gamma(2.5))
        assert not first[0].flags.writeable
    # Parametric draws stay per arm: each arm's own generator, as if it ran alone.
    lam = np.linspace(1.0, 4.0, 30)
    p0, p1 = (arm.poisson(lam) for arm in arms)
    assert np.array_equal(p0, p1) and p0 is not p1


def test_shared_noise_refuses_diverging_arms():
    root = np.random.SeedSequence(8)
    shared = SharedNoise(ReplicationRandom(root, 0, 30, stream=1))
    arms = [ReplicationRandom(root, 0, 30, stream=1, shared=shared) for _ in range(2)]
    shared.new_round()
    arms[0].standard_normal((2,))
    with pytest.raises(RuntimeError, match="diverged"):
        arms[1].standard_normal((3,))
    with pytest.raises(ValueError, match="cover"):
        ReplicationRandom(root, 0, 10, stream=1, shared=shared).uniform()
    with pytest.raises(ValueError, match="draw its own"):
        SharedNoise(arms[0])
