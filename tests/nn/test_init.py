import math

import numpy
import pytest

import minidl
from minidl import nn
from minidl.nn import init

N = 1000
SQRT3 = math.sqrt(3)
TRUNC_STD = 0.8796256610342398          # std of N(0, 1) truncated to [-2, 2]

# initializer, kwargs, theoretical std for a 1000 x 1000 weight (fan_in = fan_out = 1000)
STD_CASES = [
    (init.uniform_, dict(a=-0.3, b=0.5), 0.8 / math.sqrt(12)),
    (init.normal_, dict(mean=1.0, std=0.02), 0.02),
    (init.trunc_normal_, dict(std=1.0), TRUNC_STD),
    (init.trunc_normal_, dict(std=0.5, a=-1.0, b=1.0), 0.5 * TRUNC_STD),
    (init.xavier_uniform_, {}, math.sqrt(2 / (N + N))),
    (init.xavier_normal_, dict(gain=2.0), 2 * math.sqrt(2 / (N + N))),
    (init.kaiming_uniform_, dict(nonlinearity='relu'), math.sqrt(2 / N)),
    (init.kaiming_normal_, dict(nonlinearity='relu'), math.sqrt(2 / N)),
    (init.kaiming_normal_, dict(a=0.2, mode='fan_out'), math.sqrt(2 / (1 + 0.04) / N)),
    (init.kaiming_uniform_, dict(a=math.sqrt(5)), 1 / math.sqrt(3 * N)),          # PyTorch's Linear default
    (init.kaiming_normal_, dict(nonlinearity='tanh'), 5 / 3 / math.sqrt(N)),
    (init.lecun_uniform_, {}, 1 / math.sqrt(N)),
    (init.lecun_normal_, {}, 1 / math.sqrt(N)),
    (init.orthogonal_, {}, 1 / math.sqrt(N)),                                    # rows of norm 1
]


@pytest.mark.parametrize('initializer,kwargs,std', STD_CASES,
                         ids=[f"{c[0].__name__}{c[1] or ''}" for c in STD_CASES])
def test_sample_std_within_2_percent_of_theory(initializer, kwargs, std):
    w = minidl.empty(N, N)
    assert initializer(w, **kwargs) is w                    # in place, returns the tensor
    assert w.dtype == numpy.float32
    if initializer is init.orthogonal_:                     # the 1000 x 1000 case of test_orthogonal
        numpy.testing.assert_allclose(w.numpy().astype(float) @ w.numpy().T, numpy.eye(N), atol=1e-5)
    relative_error = abs(float(w.numpy().astype(numpy.float64).std()) / std - 1)
    assert relative_error < 0.02


def test_uniform_bounds_are_sqrt3_times_std():
    w = init.kaiming_uniform_(minidl.empty(N, N), nonlinearity='relu')
    bound = SQRT3 * math.sqrt(2 / N)
    assert float(w.abs().max()) <= bound and float(w.abs().max()) > 0.99 * bound
    w = init.trunc_normal_(minidl.empty(N, N), mean=0.5, std=1.0, a=0.0, b=1.0)
    assert float(w.min()) >= 0.0 and float(w.max()) <= 1.0


def test_fans_for_linear_and_conv_weights():
    assert init.calculate_fan_in_and_fan_out(nn.Linear(784, 10).weight) == (784, 10)
    assert init.calculate_fan_in_and_fan_out(nn.Conv2d(3, 16, (5, 3)).weight) == (3 * 15, 16 * 15)
    w = init.kaiming_normal_(minidl.empty(64, 32, 5, 5), mode='fan_out', nonlinearity='relu')
    assert float(w.numpy().std()) == pytest.approx(math.sqrt(2 / (64 * 25)), rel=0.05)
    with pytest.raises(ValueError, match='at least 2 dimensions'):
        init.xavier_uniform_(minidl.empty(5))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_normal_(minidl.empty(5, 5), mode='fan_avg')


@pytest.mark.parametrize('shape', [(200, 200), (30, 70), (70, 30), (16, 3, 3, 3)])
def test_orthogonal(shape):
    w = init.orthogonal_(minidl.empty(*shape), gain=1.0).numpy().reshape(shape[0], -1).astype(numpy.float64)
    rows, cols = w.shape
    gram = w @ w.T if rows <= cols else w.T @ w
    numpy.testing.assert_allclose(gram, numpy.eye(min(rows, cols)), atol=1e-5)
    w2 = init.orthogonal_(minidl.empty(4, 4), gain=2.0).numpy()
    numpy.testing.assert_allclose(w2 @ w2.T, 4 * numpy.eye(4), atol=1e-5)


def test_gains():
    assert init.calculate_gain('linear') == 1.0 and init.calculate_gain('sigmoid') == 1.0
    assert init.calculate_gain('conv2d') == 1.0
    assert init.calculate_gain('relu') == math.sqrt(2)
    assert init.calculate_gain('tanh') == 5 / 3
    assert init.calculate_gain('leaky_relu') == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain('leaky_relu', 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain('selu') == 0.75
    with pytest.raises(ValueError, match='unsupported nonlinearity'):
        init.calculate_gain('swish')


def test_constants_and_seeded_repeatability():
    assert init.zeros_(minidl.empty(2, 2)).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert init.ones_(minidl.empty(3)).tolist() == [1.0, 1.0, 1.0]
    assert init.constant_(minidl.empty(2, dtype=minidl.float64), 0.1).tolist() == [0.1, 0.1]
    minidl.manual_seed(7)
    a = init.xavier_normal_(minidl.empty(5, 5)).numpy().copy()
    minidl.manual_seed(7)
    b = init.xavier_normal_(minidl.empty(5, 5)).numpy()
    numpy.testing.assert_array_equal(a, b)
    assert init.normal_(minidl.empty(3, dtype=minidl.float64)).dtype == numpy.float64


def test_init_by_name():
    for name, fn in [('kaiming_normal', init.kaiming_normal_), ('xavier_uniform_', init.xavier_uniform_),
                     ('glorot_normal', init.xavier_normal_), ('orthogonal', init.orthogonal_)]:
        assert init.get(name) is fn
    with pytest.raises(ValueError, match='unknown initializer'):
        init.get('he')


def _phi(x):
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2))


def test_trunc_normal_in_a_tail_has_the_truncated_mean_and_finishes():
    # E[Z | 2 <= Z <= 3] = (φ(2) - φ(3)) / (Φ(3) - Φ(2)) ≈ 2.316; [a, b] holds 2.1% of the mass
    w = init.trunc_normal_(minidl.empty(200_000, dtype=minidl.float64), a=2.0, b=3.0)
    assert float(w.min()) >= 2.0 and float(w.max()) <= 3.0
    expected = (_phi(2) - _phi(3)) / (_cdf(3) - _cdf(2))
    assert float(w.mean()) == pytest.approx(expected, abs=3e-3)


def test_trunc_normal_refuses_bounds_with_almost_no_mass():
    with pytest.raises(ValueError, match=r"trunc_normal_: \[a, b\] = \[6.0, 7.0\] holds only 9.9e-10"):
        init.trunc_normal_(minidl.empty(1000), a=6.0, b=7.0)
    with pytest.raises(ValueError, match='std > 0'):
        init.trunc_normal_(minidl.empty(10), std=0.0)


@pytest.mark.parametrize('fn', [init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_,
                                init.kaiming_normal_, init.lecun_uniform_, init.lecun_normal_, init.orthogonal_])
@pytest.mark.parametrize('shape', [(3, 0), (0, 3), (0, 0), (4, 0, 3, 3)])
def test_zero_element_weights_are_left_alone_with_a_warning(fn, shape):
    w = minidl.empty(*shape)
    with pytest.warns(UserWarning, match='zero-element tensor is a no-op'):
        assert fn(w) is w
