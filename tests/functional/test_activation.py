import math

import numpy
import pytest

import minidl
import minidl.nn.functional as F
from tests.gradcases import Case, check, t

CASES = [
    Case('relu', lambda a: a.relu(), lambda: [t(3, 4, away_from=0.0)]),
    Case('sigmoid', lambda a: a.sigmoid(), lambda: [t(3, 4, low=-5, high=5)]),
    Case('tanh', lambda a: a.tanh(), lambda: [t(3, 4)]),
    Case('leaky_relu', lambda a: F.leaky_relu(a, 0.2), lambda: [t(3, 4, away_from=0.0)]),
    Case('prelu shared slope', F.prelu, lambda: [t(2, 3, 4, away_from=0.0), t(1, low=0.1, high=0.5)]),
    Case('prelu per channel', F.prelu, lambda: [t(2, 3, 2, 2, away_from=0.0), t(3, low=0.1, high=0.5)]),
    Case('elu', lambda a: F.elu(a, alpha=0.7), lambda: [t(3, 4, away_from=0.0)]),
    Case('selu', F.selu, lambda: [t(3, 4, away_from=0.0)]),
    Case('gelu', F.gelu, lambda: [t(3, 4, low=-3, high=3)]),
    Case('gelu tanh', lambda a: F.gelu(a, approximate='tanh'), lambda: [t(3, 4, low=-3, high=3)]),
    Case('silu', F.silu, lambda: [t(3, 4, low=-4, high=4)]),
    Case('softplus', lambda a: F.softplus(a, beta=2.0, threshold=5.0), lambda: [t(3, 4, away_from=2.5)]),
    Case('softmax', lambda a: F.softmax(a, dim=1), lambda: [t(3, 4)]),
    Case('softmax dim 0', lambda a: F.softmax(a, dim=0), lambda: [t(3, 2, 2)]),
    Case('log_softmax', lambda a: F.log_softmax(a, dim=-1), lambda: [t(3, 4)]),
    Case('hardtanh', lambda a: F.hardtanh(a, -0.5, 0.5), lambda: [t(3, 4, away_from=0.5)]),
]


@pytest.mark.parametrize('case', CASES, ids=repr)
def test_gradients(case):
    check(case)


def test_values():
    x_np = numpy.linspace(-3, 3, 13).astype(numpy.float32)
    x = minidl.tensor(x_np)
    numpy.testing.assert_allclose(x.relu().numpy(), numpy.maximum(x_np, 0))
    numpy.testing.assert_allclose(x.sigmoid().numpy(), 1 / (1 + numpy.exp(-x_np)), rtol=1e-6)
    numpy.testing.assert_allclose(minidl.tanh(x).numpy(), numpy.tanh(x_np), rtol=1e-6)


def test_sigmoid_is_finite_for_huge_inputs():
    x = minidl.tensor([-1e4, -100.0, 0.0, 100.0, 1e4], requires_grad=True)
    y = x.sigmoid()
    assert bool(minidl.isfinite(y).all())
    assert y.tolist() == [0.0, pytest.approx(3.7e-44, abs=1e-40), 0.5, 1.0, 1.0]
    y.sum().backward()
    assert bool(minidl.isfinite(x.grad).all())


def test_new_activation_values():
    x_np = numpy.linspace(-3, 3, 13)
    x = minidl.tensor(x_np, dtype=minidl.float64)
    phi = numpy.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x_np])
    sig = 1 / (1 + numpy.exp(-x_np))
    expected = {
        'leaky_relu': (F.leaky_relu(x, 0.1), numpy.where(x_np > 0, x_np, 0.1 * x_np)),
        'elu': (F.elu(x, 0.5), numpy.where(x_np > 0, x_np, 0.5 * numpy.expm1(x_np))),
        'selu': (F.selu(x), 1.0507009873554805 * numpy.where(x_np > 0, x_np, 1.6732632423543772 * numpy.expm1(x_np))),
        'gelu': (F.gelu(x), x_np * phi),
        'gelu tanh': (F.gelu(x, approximate='tanh'),
                      0.5 * x_np * (1 + numpy.tanh(math.sqrt(2 / math.pi) * (x_np + 0.044715 * x_np ** 3)))),
        'silu': (F.silu(x), x_np * sig),
        'softplus': (F.softplus(x), numpy.log1p(numpy.exp(x_np))),
        'softplus beta': (F.softplus(x, beta=2.0, threshold=4.0),
                          numpy.where(2 * x_np > 4, x_np, numpy.log1p(numpy.exp(2 * x_np)) / 2)),
        'hardtanh': (F.hardtanh(x), numpy.clip(x_np, -1, 1)),
        'prelu': (F.prelu(x, minidl.tensor([0.25], dtype=minidl.float64)), numpy.where(x_np > 0, x_np, 0.25 * x_np)),
    }
    for name, (ours, reference) in expected.items():
        numpy.testing.assert_allclose(ours.numpy(), reference, rtol=1e-12, atol=1e-15, err_msg=name)
    z = numpy.random.default_rng(0).normal(size=(4, 5))
    soft = numpy.exp(z) / numpy.exp(z).sum(axis=1, keepdims=True)
    numpy.testing.assert_allclose(F.softmax(minidl.tensor(z), dim=1).numpy(), soft, rtol=1e-12)
    numpy.testing.assert_allclose(F.log_softmax(minidl.tensor(z), dim=1).numpy(), numpy.log(soft), rtol=1e-12)


@pytest.mark.parametrize('name,fn', [
    ('sigmoid', minidl.sigmoid), ('softplus', F.softplus), ('elu', F.elu), ('selu', F.selu),
    ('gelu', F.gelu), ('silu', F.silu), ('softmax', lambda x: F.softmax(x, dim=-1)),
    ('log_softmax', lambda x: F.log_softmax(x, dim=-1)), ('tanh', minidl.tanh)])
def test_stable_for_huge_inputs_in_float32(name, fn):
    x = minidl.tensor([[-1e4, -50.0, 0.0, 50.0, 1e4], [1e4, 1e4, 1e4, -1e4, 0.0]], requires_grad=True)
    y = fn(x)
    assert y.dtype == numpy.float32
    assert bool(minidl.isfinite(y).all()), f"{name}: {y}"
    (y * minidl.randn(*y.shape)).sum().backward()
    assert bool(minidl.isfinite(x.grad).all()), f"{name} gradient: {x.grad}"


def test_softmax_rows_sum_to_one_and_log_softmax_of_extremes():
    x = minidl.tensor([[1e4, 1e4, -1e4]])
    assert F.softmax(x, dim=1).tolist() == [[0.5, 0.5, 0.0]]
    assert F.log_softmax(x, dim=1).tolist()[0][2] == pytest.approx(-2e4 - math.log(2))


def test_prelu_checks_weight_shape():
    with pytest.raises(ValueError, match=r"prelu: weight of shape \(4,\) does not fit input of shape \(2, 3\)"):
        F.prelu(minidl.zeros(2, 3), minidl.zeros(4))


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(minidl.zeros(2), approximate='sigmoid')


FLOAT_VALUED = [minidl.sigmoid, minidl.tanh, minidl.exp, minidl.log, minidl.sqrt, minidl.sin, minidl.cos,
                F.leaky_relu, F.elu, F.selu, F.gelu, lambda a: F.gelu(a, approximate='tanh'), F.silu,
                F.softplus, lambda a: F.softmax(a, dim=0), lambda a: F.log_softmax(a, dim=0)]


@pytest.mark.parametrize('fn', FLOAT_VALUED)
@pytest.mark.parametrize('dtype', [numpy.int64, numpy.int32, numpy.uint8])
def test_float_valued_ops_compute_integers_in_the_default_float_dtype(fn, dtype):
    # sigmoid of the integers 1, 2, 4 is (0.73, 0.88, 0.98), not the zeros an int cast would give
    values = numpy.array([1, 2, 4], dtype=dtype)
    y = fn(minidl.tensor(values))
    assert y.dtype == numpy.float32
    numpy.testing.assert_array_equal(y.numpy(), fn(minidl.tensor(values.astype(numpy.float32))).numpy())


def test_clamp_of_integers_with_float_bounds_is_float_and_stays_integer_with_integer_bounds():
    x = minidl.tensor([-1, 1, 5])
    y = x.clamp(0.5, 2.5)
    assert y.dtype == numpy.float32 and y.tolist() == [0.5, 1.0, 2.5]
    z = x.clamp(0, 2)
    assert z.dtype == x.dtype and z.tolist() == [0, 1, 2]


def test_hardtanh_gradient_is_zero_at_its_bounds_where_clamp_passes_it():
    x = minidl.tensor([-1.0, 1.0, 0.5, 2.0, -3.0], requires_grad=True)
    F.hardtanh(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 0.0, 0.0]
    x.grad = None
    x.clamp(-1.0, 1.0).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]


def test_prelu_of_a_0d_input_is_0d():
    x, w = minidl.tensor(-2.0, requires_grad=True), minidl.tensor([0.25], requires_grad=True)
    y = F.prelu(x, w)
    assert y.shape == () and y.item() == -0.5
    y.backward()
    assert x.grad.item() == 0.25 and w.grad.shape == (1,) and w.grad.item() == -2.0
