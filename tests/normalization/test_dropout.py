"""Dropout and Dropout2d: gradients, statistics of the mask, modes, seeding, edge cases."""
import math

import numpy
import pytest

import minidl
import minidl.functional as F
from minidl import nn
from tests.gradcases import Case, check, t


def _seeded(fn):
    """fn with the generator reseeded first, so every evaluation draws the same mask."""
    def run(x):
        minidl.manual_seed(0)
        return fn(x)
    return run


CASES = [
    Case('dropout p=0.3', _seeded(lambda x: F.dropout(x, 0.3)), lambda: [t(4, 5)]),
    Case('dropout2d p=0.5', _seeded(lambda x: F.dropout2d(x, 0.5)), lambda: [t(2, 4, 2, 3)]),
    Case('dropout p=1', _seeded(lambda x: F.dropout(x, 1.0)), lambda: [t(3, 2)]),
]


@pytest.mark.parametrize('case', CASES, ids=repr)
def test_gradients(case):
    check(case)


@pytest.mark.parametrize('p', [0.1, 0.5, 0.8])
def test_fraction_dropped_within_three_sigma_and_mean_preserved(p):
    n = 10 ** 6
    x = minidl.ones(n)
    y = nn.Dropout(p)(x).numpy()
    dropped = float((y == 0).mean())
    assert abs(dropped - p) <= 3 * math.sqrt(p * (1 - p) / n)
    numpy.testing.assert_array_equal(numpy.unique(y), [0.0, numpy.float32(1 / (1 - p))])
    # E[y] = 1; the sample mean has std sqrt(p / (1 - p) / n)
    assert abs(float(y.mean()) - 1.0) <= 4 * math.sqrt(p / (1 - p) / n)


def test_evaluation_mode_is_identity():
    x = minidl.randn(5, 7)
    for layer in (nn.Dropout(0.5), nn.Dropout2d(0.5)):
        y = layer.eval()(x.reshape(5, 7, 1, 1))
        numpy.testing.assert_array_equal(y.numpy(), x.numpy().reshape(5, 7, 1, 1))


def test_same_seed_same_mask_and_fresh_mask_per_call():
    x = minidl.ones(1000)
    minidl.manual_seed(42)
    first, second = F.dropout(x).numpy(), F.dropout(x).numpy()
    minidl.manual_seed(42)
    numpy.testing.assert_array_equal(F.dropout(x).numpy(), first)
    assert (first != second).any()


def test_p_zero_is_identity_and_p_one_gives_zeros_without_nan():
    x = minidl.randn(100, requires_grad=True)
    assert F.dropout(x, 0.0) is x
    y = F.dropout(x, 1.0)
    assert (y.numpy() == 0).all() and numpy.isfinite(y.numpy()).all()
    y.sum().backward()
    assert (x.grad.numpy() == 0).all()


def test_gradient_is_the_mask_scaled():
    x = minidl.ones(200, requires_grad=True)
    y = F.dropout(x, 0.25)
    y.sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), y.numpy())     # x = 1: y is the scaled mask


def test_dropout2d_zeroes_whole_channels():
    x = minidl.ones(8, 16, 4, 4)
    y = nn.Dropout2d(0.5)(x).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert (per_channel.min(axis=2) == per_channel.max(axis=2)).all()        # constant per map
    assert set(numpy.unique(per_channel)) == {0.0, 2.0}
    with pytest.raises(ValueError, match=r'dropout2d: expected input of shape \(N, C, H, W\), got \(8, 16\)'):
        F.dropout2d(minidl.ones(8, 16))


@pytest.mark.parametrize('p', [-0.1, 1.5])
def test_p_outside_unit_interval_is_an_error(p):
    with pytest.raises(ValueError, match=f'between 0 and 1, but got {p}'):
        nn.Dropout(p)
    with pytest.raises(ValueError, match='between 0 and 1'):
        F.dropout(minidl.ones(3), p)


def test_integer_input_is_an_error():
    with pytest.raises(TypeError, match='floating point'):
        F.dropout(minidl.tensor([1, 2, 3]), 0.5)
