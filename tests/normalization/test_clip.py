"""Gradient clipping on gradients of known norm, and Module.grad_norms."""
import math

import numpy
import pytest

import minidl
from minidl import nn
from minidl.optim import clip_grad_norm_, clip_grad_value_

G1 = numpy.array([3.0, -4.0])                 # ‖G1‖ = 5
G2 = numpy.array([[12.0], [0.0]])             # ‖G2‖ = 12; together 13; max |g| = 12; Σ|g| = 19


def _parameters():
    params = []
    for g in (G1, G2):
        p = nn.Parameter(minidl.zeros(*g.shape, dtype=numpy.float64))
        p.grad = minidl.tensor(g.copy())
        params.append(p)
    params.append(nn.Parameter(minidl.zeros(3)))                       # no gradient: skipped
    return params


@pytest.mark.parametrize('norm_type, total', [(2.0, 13.0), (1, 19.0), (float('inf'), 12.0)])
def test_clip_grad_norm_scales_to_max_norm(norm_type, total):
    params = _parameters()
    returned = clip_grad_norm_(params, max_norm=6.5, norm_type=norm_type)
    assert returned.item() == pytest.approx(total)
    scale = 6.5 / (total + 1e-6)
    numpy.testing.assert_allclose(params[0].grad.numpy(), G1 * scale, rtol=1e-12)
    numpy.testing.assert_allclose(params[1].grad.numpy(), G2 * scale, rtol=1e-12)


def test_clip_grad_norm_leaves_small_gradients_alone():
    params = _parameters()
    assert clip_grad_norm_(params, max_norm=100.0).item() == pytest.approx(13.0)
    numpy.testing.assert_array_equal(params[0].grad.numpy(), G1)
    single = _parameters()[0]
    assert clip_grad_norm_(single, 1.0).item() == pytest.approx(5.0)          # a lone Tensor works
    numpy.testing.assert_allclose(single.grad.numpy(), G1 / (5 + 1e-6))


def test_clip_grad_norm_without_gradients_returns_zero():
    assert clip_grad_norm_([nn.Parameter(minidl.zeros(2))], 1.0).item() == 0.0


def test_non_finite_norm():
    p = _parameters()[0]
    p.grad.data[0] = numpy.inf
    with pytest.raises(RuntimeError, match='total norm of order 2.0 .* is inf'):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isinf(clip_grad_norm_([p], 1.0).item())
    numpy.testing.assert_array_equal(p.grad.numpy(), [numpy.nan, 0.0])       # inf · 0 and 4 · 0


def test_a_nan_norm_makes_every_gradient_nan_as_in_pytorch():
    params = _parameters()
    params[1].grad.data[0, 0] = numpy.nan
    assert math.isnan(clip_grad_norm_(params, 1.0).item())
    for p in params[:2]:                                               # (the third has no gradient)
        assert numpy.isnan(p.grad.numpy()).all()


def test_clip_grad_value_():
    params = _parameters()
    clip_grad_value_(params, 3.5)
    numpy.testing.assert_array_equal(params[0].grad.numpy(), [3.0, -3.5])
    numpy.testing.assert_array_equal(params[1].grad.numpy(), [[3.5], [0.0]])
    with pytest.raises(ValueError, match='clip_value must be >= 0'):
        clip_grad_value_(params, -1.0)


def test_grad_norms_of_a_model():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    model(minidl.randn(4, 2)).sum().backward()
    norms = model.grad_norms()
    assert set(norms) == {'0.weight', '0.bias', '1.weight', '1.bias'}
    assert norms['1.bias'] == pytest.approx(4.0)                 # d Σ y / d b = batch size
    assert norms['0.weight'] == pytest.approx(float(numpy.linalg.norm(model[0].weight.grad.numpy())))
