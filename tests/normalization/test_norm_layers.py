"""BatchNorm1d/2d, LayerNorm, GroupNorm modules: running statistics, modes, errors."""
import numpy
import pytest

import minidl
from minidl import nn

RNG = numpy.random.default_rng(0)
BATCHES_2D = [RNG.normal(i, 1 + i, size=(4, 3, 5, 2)) for i in range(3)]
BATCHES_1D = [RNG.normal(i, 1 + i, size=(6, 3)) for i in range(3)]


def _hand_running_stats(batches, momentum):
    """running_mean/var after the batches, by PyTorch's rule, computed with NumPy."""
    mean, var = numpy.zeros(3), numpy.ones(3)
    for n, x in enumerate(batches, start=1):
        axes = (0,) + tuple(range(2, x.ndim))
        factor = 1 / n if momentum is None else momentum
        mean = (1 - factor) * mean + factor * x.mean(axis=axes)
        var = (1 - factor) * var + factor * x.var(axis=axes, ddof=1)      # unbiased
    return mean, var


@pytest.mark.parametrize('layer, batches', [(nn.BatchNorm2d, BATCHES_2D), (nn.BatchNorm1d, BATCHES_1D)])
@pytest.mark.parametrize('momentum', [0.1, 0.3, None])
def test_running_stats_after_three_batches(layer, batches, momentum):
    bn = layer(3, momentum=momentum, dtype=numpy.float64)
    for x in batches:
        bn(minidl.tensor(x))
    mean, var = _hand_running_stats(batches, momentum)
    numpy.testing.assert_allclose(bn.running_mean.numpy(), mean, rtol=1e-12)
    numpy.testing.assert_allclose(bn.running_var.numpy(), var, rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 3


def test_cumulative_average_is_the_mean_of_batch_statistics():
    bn = nn.BatchNorm1d(3, momentum=None, dtype=numpy.float64)
    for x in BATCHES_1D:
        bn(minidl.tensor(x))
    numpy.testing.assert_allclose(bn.running_mean.numpy(), numpy.mean([x.mean(0) for x in BATCHES_1D], 0))


def test_eval_uses_running_stats_formula():
    bn = nn.BatchNorm2d(3, eps=1e-3, dtype=numpy.float64)
    bn.weight.data[...] = minidl.tensor([0.5, 2.0, -1.0]).data
    bn.bias.data[...] = minidl.tensor([0.1, 0.0, 3.0]).data
    for x in BATCHES_2D:
        bn(minidl.tensor(x))
    x = RNG.normal(size=(2, 3, 4, 4))
    y = bn.eval()(minidl.tensor(x)).numpy()
    view = (1, 3, 1, 1)
    expected = ((x - bn.running_mean.numpy().reshape(view)) / numpy.sqrt(bn.running_var.numpy().reshape(view)
                                                                        + 1e-3)
                * bn.weight.numpy().reshape(view) + bn.bias.numpy().reshape(view))
    numpy.testing.assert_allclose(y, expected, rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 3          # evaluation leaves the statistics alone
    single = bn(minidl.tensor(x[:1])).numpy()               # a batch of one is fine in eval mode
    numpy.testing.assert_allclose(single, expected[:1], rtol=1e-12)


def test_train_mode_uses_batch_stats_and_backward_reaches_parameters():
    bn = nn.BatchNorm1d(3)
    x = minidl.tensor(BATCHES_1D[2].astype(numpy.float32), requires_grad=True)
    y = bn(x)
    numpy.testing.assert_allclose(y.numpy().mean(0), 0, atol=1e-6)
    (y * minidl.tensor([1.0, 2.0, 3.0])).sum().backward()
    numpy.testing.assert_allclose(bn.bias.grad.numpy(), [6.0, 12.0, 18.0], rtol=1e-6)
    assert x.grad.shape == x.shape


def test_without_running_stats_batch_stats_in_both_modes():
    bn = nn.BatchNorm1d(3, track_running_stats=False, affine=False)
    assert bn.running_mean is None and list(bn.parameters()) == []
    x = minidl.tensor(BATCHES_1D[1])
    numpy.testing.assert_allclose(bn.eval()(x).numpy(), bn.train()(x).numpy())
    numpy.testing.assert_allclose(bn(x).numpy().std(0), 1, rtol=1e-4)


def test_buffers_are_in_state_dict_not_parameters():
    bn = nn.BatchNorm2d(4)
    assert [name for name, _ in bn.named_parameters()] == ['weight', 'bias']
    assert set(bn.state_dict()) == {'weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'}
    bn(minidl.randn(2, 4, 3, 3))
    bn.reset_running_stats()
    numpy.testing.assert_array_equal(bn.running_var.numpy(), 1)
    assert int(bn.num_batches_tracked.item()) == 0


def test_batch_of_one_in_training_raises():
    with pytest.raises(ValueError, match='Expected more than 1 value per channel when training'):
        nn.BatchNorm1d(3)(minidl.randn(1, 3))


@pytest.mark.parametrize('layer, shape, expected', [
    (nn.BatchNorm1d(3), (4, 3, 2, 2), r'BatchNorm1d\(3, .*\): got input of shape \(4, 3, 2, 2\), '
                                      r'expected \(N, C\) or \(N, C, L\) with C=3'),
    (nn.BatchNorm1d(3), (4, 5), r'BatchNorm1d.*\(4, 5\).*C=3'),
    (nn.BatchNorm2d(3), (4, 3, 8), r'BatchNorm2d.*\(4, 3, 8\), expected \(N, C, H, W\)'),
    (nn.BatchNorm2d(3), (4, 2, 8, 8), r'BatchNorm2d.*C=3'),
    (nn.GroupNorm(2, 4), (4, 6, 3), r'GroupNorm\(2, 4.*\(4, 6, 3\).*C=4'),
    (nn.LayerNorm((2, 3)), (4, 3, 2), r'normalized_shape=\(2, 3\).*\(4, 3, 2\)'),
])
def test_wrong_shapes_give_clear_errors(layer, shape, expected):
    with pytest.raises(ValueError, match=expected):
        layer(minidl.zeros(*shape))


def test_group_norm_needs_divisible_channels():
    with pytest.raises(ValueError, match='num_channels=6 must be divisible by num_groups=4'):
        nn.GroupNorm(4, 6)


def test_layer_and_group_norm_same_in_train_and_eval():
    x = minidl.tensor(BATCHES_2D[1])
    for layer in (nn.LayerNorm((5, 2), dtype=numpy.float64), nn.GroupNorm(3, 3, dtype=numpy.float64)):
        numpy.testing.assert_allclose(layer.eval()(x).numpy(), layer.train()(x).numpy())
    ln = nn.LayerNorm(2, elementwise_affine=False)
    assert ln.weight is None
    assert ln(minidl.tensor([[1.0, 3.0]])).tolist()[0] == pytest.approx([-1, 1], abs=1e-4)
