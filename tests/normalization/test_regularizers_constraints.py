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
    with pytest.raises(ValueError, match='L1: l1 must be a finite number >= 0, got -1.0'):
        L1(-1.0)
    assert (L1(None).l1, L2(None).l2, L1L2(l1=None).l1) == (0.01, 0.01, 0.0)     # None: the default, as in Keras


@pytest.mark.parametrize('make', [lambda: L1(float('nan')), lambda: L2(float('inf')), lambda: L1('0.1'),
                                  lambda: L2([0.1]), lambda: L1L2(l2=numpy.array([0.1, 0.2])), lambda: L2(True)])
def test_regularizer_coefficients_are_checked(make):
    with pytest.raises(ValueError, match=r"L[12L]*: l[12] must be a finite number >= 0"):
        make()


@pytest.mark.parametrize('make, message', [
    (lambda: MaxNorm(-1.0), r"MaxNorm: max_value must be a number >= 0, got -1.0"),
    (lambda: MaxNorm(float('nan')), "MaxNorm: max_value must be a number >= 0"),
    (lambda: MaxNorm('2'), "MaxNorm: max_value must be a number >= 0, got '2'"),
    (lambda: MinMaxNorm(0, 1, rate=2), r"MinMaxNorm: rate must be a number in \[0, 1\], got 2"),
    (lambda: MinMaxNorm(0, 1, rate=-1), r"MinMaxNorm: rate must be a number in \[0, 1\]"),
    (lambda: MinMaxNorm('a', 'b'), "MinMaxNorm: min_value must be a number >= 0, got 'a'"),
    (lambda: UnitNorm(axis=1.5), "UnitNorm: axis must be None, an int or a tuple of ints, got 1.5"),
])
def test_constraint_settings_are_checked(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_a_constraint_axis_out_of_range_is_named():
    with pytest.raises(ValueError, match=r"MaxNorm\(max_value=1.0, axis=2\): axis 2 is out of range for a "
                                         r"weight of shape \(2, 3\)"):
        MaxNorm(1.0, axis=2)(minidl.ones(2, 3))


def test_layers_take_keras_identifiers():
    """As Keras's ``get``: a name or a class means the defaults; anything else is refused
    when the layer is built, not at the first step."""
    layer = nn.Linear(3, 2, weight_regularizer='l2', bias_regularizer=L1, weight_constraint='max_norm',
                      bias_constraint=NonNeg)
    assert repr(layer.weight.regularizer) == 'L2(l2=0.01)' and repr(layer.bias.regularizer) == 'L1(l1=0.01)'
    assert repr(layer.weight.constraint) == 'MaxNorm(max_value=2.0, axis=None)'
    assert isinstance(layer.bias.constraint, NonNeg)
    with pytest.raises(ValueError, match=r"unknown regularizer 'l3'; expected one of \["):
        nn.Linear(3, 2, weight_regularizer='l3')
    with pytest.raises(ValueError, match="could not interpret regularizer 0.01 \\(float\\)"):
        nn.Linear(3, 2, weight_regularizer=0.01)
    with pytest.raises(ValueError, match="could not interpret constraint 2 \\(int\\)"):
        nn.Conv2d(1, 2, 3, weight_constraint=2)


def test_frozen_parameters_add_no_penalty():
    """Keras sums the penalties of the trainable weights only."""
    layer = nn.Linear(3, 2, weight_regularizer=L2(1.0), bias_regularizer=L2(1.0))
    layer.weight.requires_grad_(False)
    assert layer.regularization_loss().item() == pytest.approx((layer.bias.numpy() ** 2).sum(), rel=1e-6)


def test_a_constraint_is_a_change_in_place():
    """A graph that saved the weights before the projection refuses to backward through them
    (as after an optimizer step): the gradient would mix the new weights with the old forward."""
    layer = nn.Linear(3, 2, bias=False, weight_constraint=NonNeg())
    with minidl.no_grad():
        layer.weight[...] = minidl.tensor([[-1.0, 2.0, 3.0], [4.0, -5.0, 6.0]])
    x = minidl.ones(1, 3, requires_grad=True)
    loss = (layer(x) ** 2).sum()
    layer.apply_constraints()
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


@pytest.mark.parametrize('constraint', [lambda w: w.sum(), lambda w: w.sum(dim=1, keepdim=True),
                                        lambda w: w.numpy()])
def test_a_constraint_must_keep_the_shape(constraint):
    p = nn.Parameter(minidl.tensor([[1.0, 2.0], [3.0, 4.0]]), constraint=constraint)
    with pytest.raises(ValueError, match=r"must return a Tensor of the weight's shape \(2, 2\)"):
        nn.apply_constraint(p)
    assert p.tolist() == [[1.0, 2.0], [3.0, 4.0]]


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
    w[1] *= 0.1                                                             # one unit under the limit
    norms = numpy.sqrt((w ** 2).sum(axis=(1, 2, 3), keepdims=True))
    assert norms[1] < 2.0 < norms[[0, 2, 3]].min()
    out = MaxNorm(max_value=2.0)(minidl.tensor(w)).numpy()
    numpy.testing.assert_allclose(out, w * numpy.clip(norms, 0, 2.0) / (1e-7 + norms))
    numpy.testing.assert_allclose(out[1], w[1], rtol=1e-6)                  # ... is left as it is
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
