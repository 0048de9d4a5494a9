"""Regularizers (L1, L2, L1L2) and constraints (MaxNorm, NonNeg, UnitNorm, MinMaxNorm)."""
import numpy
import pytest

import minidl
from minidl import nn
from minidl.constraints import MaxNorm, MinMaxNorm, NonNeg, UnitNorm
from minidl.regularizers import L1, L1L2, L2

W = numpy.array([[0.5, -2.0, 0.0], [3.0, -0.25, 1.0]])


def _grad(regularizer):
    w = minidl.tensor(W, requires_grad=True)
    penalty = regularizer(w)
    assert penalty.shape == ()
    penalty.backward()
    return penalty.item(), w.grad.numpy()


def test_l1_value_and_gradient():
    value, grad = _grad(L1(0.3))
    assert value == pytest.approx(0.3 * numpy.abs(W).sum())
    numpy.testing.assert_allclose(grad, 0.3 * numpy.sign(W))


def test_l2_value_and_gradient_have_no_half():
    value, grad = _grad(L2(0.3))
    assert value == pytest.approx(0.3 * (W ** 2).sum())
    numpy.testing.assert_allclose(grad, 2 * 0.3 * W)


def test_l1l2_is_the_sum():
    value, grad = _grad(L1L2(l1=0.1, l2=0.2))
    assert value == pytest.approx(0.1 * numpy.abs(W).sum() + 0.2 * (W ** 2).sum())
    numpy.testing.assert_allclose(grad, 0.1 * numpy.sign(W) + 0.4 * W)


def test_keras_defaults():
    assert (L1().l1, L2().l2, L1L2().l1, L1L2().l2) == (0.01, 0.01, 0.0, 0.0)
    assert L1L2()(minidl.tensor(W)).item() == 0.0
    assert repr(L2()) == 'L2(l2=0.01)'
    with pytest.raises(ValueError, match='must be >= 0'):
        L1(-1.0)


def test_regularization_loss_of_a_model():
    model = nn.Sequential(nn.Linear(3, 4, weight_regularizer=L2(0.5), bias_regularizer=L1(0.1)),
                          nn.Linear(4, 2))
    first = model[0]
    expected = 0.5 * (first.weight.numpy() ** 2).sum() + 0.1 * numpy.abs(first.bias.numpy()).sum()
    assert model.regularization_loss().item() == pytest.approx(expected, rel=1e-6)


def _unit_norms(w, axes):
    return numpy.sqrt((w ** 2).sum(axis=axes))


def test_max_norm_keras_formula_default_axes():
    w = numpy.random.default_rng(0).normal(size=(4, 3, 2, 2)) * 2           # Conv2d (out, in, kh, kw)
    out = MaxNorm(max_value=2.0)(minidl.tensor(w)).numpy()
    norms = numpy.sqrt((w ** 2).sum(axis=(1, 2, 3), keepdims=True))
    numpy.testing.assert_allclose(out, w * numpy.clip(norms, 0, 2.0) / (1e-7 + norms))
    assert MaxNorm().max_value == 2.0


def test_unit_norm_and_explicit_axis():
    w = numpy.random.default_rng(1).normal(size=(3, 5))
    numpy.testing.assert_allclose(_unit_norms(UnitNorm()(minidl.tensor(w)).numpy(), 1), 1, rtol=1e-6)
    numpy.testing.assert_allclose(_unit_norms(UnitNorm(axis=0)(minidl.tensor(w)).numpy(), 0), 1, rtol=1e-6)
    bias = UnitNorm()(minidl.tensor([3.0, 4.0])).numpy()            # a vector: normalized as a whole
    numpy.testing.assert_allclose(bias, [0.6, 0.8], rtol=1e-6)


def test_min_max_norm_with_rate():
    w = numpy.array([[0.3, 0.4], [3.0, 4.0], [0.6, 0.8]])               # norms 0.5, 5, 1
    out = MinMaxNorm(min_value=1.0, max_value=2.0, rate=1.0)(minidl.tensor(w)).numpy()
    numpy.testing.assert_allclose(_unit_norms(out, 1), [1.0, 2.0, 1.0], rtol=1e-6)
    half = MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.5)(minidl.tensor(w)).numpy()
    numpy.testing.assert_allclose(_unit_norms(half, 1), [0.75, 3.5, 1.0], rtol=1e-6)
    with pytest.raises(ValueError, match='min_value <= max_value'):
        MinMaxNorm(2.0, 1.0)


def test_non_neg():
    out = NonNeg()(minidl.tensor(W)).numpy()
    numpy.testing.assert_array_equal(out, numpy.maximum(W, 0))
    assert not numpy.signbit(out).any()


def _sgd_by_hand(model):
    """p ← p - 0.5 · grad, then Module.apply_constraints() (what an optimizer step does)."""
    def step():
        with minidl.no_grad():
            for p in model.parameters():
                p.data -= 0.5 * p.grad.data
        model.apply_constraints()
    return step


@pytest.mark.parametrize('make_step', [_sgd_by_hand,
                                       lambda model: minidl.optim.SGD(model.parameters(), lr=0.5).step,
                                       lambda model: minidl.optim.Adam(model.parameters(), lr=0.5).step],
                         ids=['by hand', 'SGD', 'Adam'])
def test_constraints_hold_after_every_optimizer_step(make_step):
    minidl.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16, weight_constraint=MaxNorm(2.0)), nn.ReLU(),
                          nn.Linear(16, 3, weight_constraint=NonNeg(), bias_constraint=NonNeg()))
    step = make_step(model)
    x, target = minidl.randn(32, 8) * 10, minidl.randn(32, 3) * 10
    for _ in range(5):
        model.zero_grad()
        ((model(x) - target) ** 2).mean().backward()
        step()
        assert _unit_norms(model[0].weight.numpy(), 1).max() <= 2.0 + 1e-6
        assert (model[2].weight.numpy() >= 0).all() and (model[2].bias.numpy() >= 0).all()
    assert _unit_norms(model[0].weight.numpy(), 1).max() > 1.9               # the constraint was active
