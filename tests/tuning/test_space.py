import numpy as np
import pytest

from minidl.tuning import Choice, IntUniform, LogUniform, Space, Uniform


def test_bad_bounds_and_empty_space_are_clear_errors():
    with pytest.raises(ValueError, match="low < high"):
        Uniform(1.0, 1.0)
    with pytest.raises(ValueError, match="low must be > 0"):
        LogUniform(0.0, 1.0)
    with pytest.raises(ValueError, match="low < high"):
        IntUniform(5, 2)
    with pytest.raises(ValueError, match="at least one"):
        Choice([])
    with pytest.raises(ValueError, match="empty"):
        Space({})
    with pytest.raises(ValueError, match="grid count"):
        Space({'x': Uniform(0, 1)}).grid()


def test_samples_lie_in_range_and_are_reproducible():
    space = Space({'u': Uniform(-1, 2), 'l': LogUniform(1e-4, 1e-1), 'i': IntUniform(3, 5),
                   'c': Choice(['a', 'b']), 'k': 7})
    draws = [space.sample(np.random.default_rng(0)) for _ in range(2)]
    assert draws[0] == draws[1]
    rng = np.random.default_rng(1)
    for _ in range(200):
        p = space.sample(rng)
        assert -1 <= p['u'] <= 2 and 1e-4 <= p['l'] <= 1e-1 and p['i'] in (3, 4, 5)
        assert p['c'] in ('a', 'b') and p['k'] == 7


def test_log_uniform_is_uniform_in_log_space():
    rng = np.random.default_rng(0)
    logs = np.log10([LogUniform(1e-4, 1.0).sample(rng) for _ in range(4000)])
    counts = np.histogram(logs, bins=4, range=(-4, 0))[0]
    assert np.all(np.abs(counts - 1000) < 120)


def test_encode_decode_round_trip_and_warping():
    space = Space({'u': Uniform(0, 10), 'l': LogUniform(1e-3, 1e-1), 'i': IntUniform(0, 4),
                   'c': Choice(['x', 'y', 'z']), 'k': 'const'})
    p = {'u': 2.5, 'l': 1e-2, 'i': 3, 'c': 'z', 'k': 'const'}
    u = space.encode(p)
    assert space.dim == 6 and u.shape == (6,)
    np.testing.assert_allclose(u, [0.25, 0.5, 0.75, 0, 0, 1])
    assert space.decode(u) == p
    snapped = space.snap(np.array([[1.3, -0.2, 0.65, 0.2, 0.9, 0.1]]))
    np.testing.assert_allclose(snapped, [[1.0, 0.0, 0.75, 0, 1, 0]])


def test_grid_is_the_cartesian_product_with_grid_counts():
    space = Space({'lr': LogUniform(1e-3, 1e-1, grid=3), 'd': Uniform(0, 0.5, grid=2),
                   'n': IntUniform(1, 3), 'act': Choice(['relu', 'tanh']), 'epochs': 4})
    grid = space.grid()
    assert len(grid) == 3 * 2 * 3 * 2
    assert len({tuple(sorted(g.items())) for g in grid}) == len(grid)
    np.testing.assert_allclose(sorted({g['lr'] for g in grid}), [1e-3, 1e-2, 1e-1])
    assert {g['d'] for g in grid} == {0.0, 0.5} and {g['n'] for g in grid} == {1, 2, 3}
    assert all(g['epochs'] == 4 for g in grid)
    assert IntUniform(0, 10, grid=3).grid_values() == [0, 5, 10]


def test_parse_reads_back_what_the_csv_holds():
    space = Space({'c': Choice([32, 'adam', None, True]), 'f': Uniform(0, 1), 'i': IntUniform(0, 9)})
    assert [space.parse('c', str(v)) for v in (32, 'adam', None, True)] == [32, 'adam', None, True]
    assert space.parse('f', repr(0.1 + 0.2)) == 0.1 + 0.2
    assert space.parse('i', '7') == 7
