import math

import numpy
import pytest

import minidl
import minidl.nn.functional as F
from minidl import nn
from tests.gradcases import Case, check, t

LINEAR = nn.Linear(3, 2)
CONV = nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=1)
CONV_NO_BIAS = nn.Conv2d(1, 2, 2, dilation=2, bias=False)
PRELU = nn.PReLU(3, init=0.2)

CASES = [
    Case('Linear (input, weight, bias)', lambda x, w, b: LINEAR(x), lambda: [t(4, 3), LINEAR.weight, LINEAR.bias]),
    Case('Linear batched', lambda x, w, b: LINEAR(x), lambda: [t(2, 3, 3), LINEAR.weight, LINEAR.bias]),
    Case('Conv2d (input, weight, bias)', lambda x, w, b: CONV(x), lambda: [t(2, 2, 5, 5), CONV.weight, CONV.bias]),
    Case('Conv2d without bias', lambda x, w: CONV_NO_BIAS(x), lambda: [t(2, 1, 5, 6), CONV_NO_BIAS.weight]),
    Case('PReLU module', lambda x, w: PRELU(x), lambda: [t(2, 3, 4, away_from=0.0), PRELU.weight]),
    Case('small CNN', lambda x, w, b: nn.Sequential(CONV, nn.Tanh(), nn.MaxPool2d(2), nn.Flatten())(x),
         lambda: [t(2, 2, 6, 5), CONV.weight, CONV.bias]),
]


@pytest.mark.parametrize('case', CASES, ids=repr)
def test_gradients(case):
    check(case)


def test_linear_matches_formula():
    layer = nn.Linear(4, 3)
    x = minidl.randn(5, 4)
    expected = x.numpy() @ layer.weight.numpy().T + layer.bias.numpy()
    numpy.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-6)
    assert nn.Linear(4, 3, bias=False)(x).shape == (5, 3)


def test_conv2d_layer_matches_functional_and_reports_shapes():
    conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)
    x = minidl.randn(2, 3, 9, 9)
    numpy.testing.assert_array_equal(conv(x).numpy(), F.conv2d(x, conv.weight, conv.bias, 2, 1).numpy())
    assert conv(x).shape == (2, 4, 5, 5)
    with pytest.raises(ValueError, match=r"^Conv2d\(3, 4, kernel_size=\(3, 3\), stride=\(2, 2\), padding=\(1, 1\)\): "
                                         r"expected input of shape \(N, 3, H, W\), got \(8, 1, 28, 28\)$"):
        conv(minidl.zeros(8, 1, 28, 28))
    with pytest.raises(ValueError, match=r"got \(3, 28, 28\)"):
        conv(minidl.zeros(3, 28, 28))


def test_conv2d_default_init_uses_fan_in_of_the_kernel():
    conv = nn.Conv2d(16, 32, (3, 5))
    fan_in = 16 * 3 * 5
    bound = 1 / math.sqrt(fan_in)
    assert conv.weight.shape == (32, 16, 3, 5) and conv.bias.shape == (32,)
    w = conv.weight.numpy()
    assert numpy.abs(w).max() <= bound and w.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert numpy.abs(conv.bias.numpy()).max() <= bound
    he = nn.Conv2d(16, 64, 3, weight_init='kaiming_normal')
    assert he.weight.numpy().std() == pytest.approx(math.sqrt(2 / (16 * 9)), rel=0.05)


def test_activation_modules_match_functions():
    x = minidl.randn(3, 4)
    pairs = [
        (nn.ReLU(), F.relu(x)), (nn.Sigmoid(), F.sigmoid(x)), (nn.Tanh(), F.tanh(x)),
        (nn.LeakyReLU(0.2), F.leaky_relu(x, 0.2)), (nn.ELU(0.5), F.elu(x, 0.5)), (nn.SELU(), F.selu(x)),
        (nn.GELU('tanh'), F.gelu(x, 'tanh')), (nn.SiLU(), F.silu(x)), (nn.Softplus(2.0, 10.0), F.softplus(x, 2.0, 10.0)),
        (nn.Hardtanh(-0.5, 0.5), F.hardtanh(x, -0.5, 0.5)), (nn.Softmax(dim=1), F.softmax(x, 1)),
        (nn.LogSoftmax(dim=0), F.log_softmax(x, 0)),
        (nn.PReLU(), F.prelu(x, minidl.tensor([0.25]))),
    ]
    for module, expected in pairs:
        numpy.testing.assert_array_equal(module(x).numpy(), expected.numpy(), err_msg=repr(module))
    assert repr(nn.LeakyReLU(0.2)) == 'LeakyReLU(negative_slope=0.2)'
    assert repr(nn.PReLU(3)) == 'PReLU(num_parameters=3)  # 3 parameters'


def test_prelu_learns_its_slope():
    act = nn.PReLU()
    act(minidl.tensor([-2.0, -1.0, 3.0])).sum().backward()
    assert act.weight.grad.tolist() == [-3.0]


def test_loss_modules_match_functions():
    x, y = minidl.randn(4, 3), minidl.rand(4, 3)
    labels = minidl.tensor([0, 2, 1, 2])
    pairs = [
        (nn.CrossEntropyLoss(label_smoothing=0.1), (x, labels), F.cross_entropy(x, labels, label_smoothing=0.1)),
        (nn.NLLLoss(reduction='sum'), (x, labels), F.nll_loss(x, labels, reduction='sum')),
        (nn.MSELoss(), (x, y), F.mse_loss(x, y)), (nn.L1Loss(), (x, y), F.l1_loss(x, y)),
        (nn.SmoothL1Loss(beta=0.5), (x, y), F.smooth_l1_loss(x, y, beta=0.5)),
        (nn.HuberLoss(delta=0.5), (x, y), F.huber_loss(x, y, delta=0.5)),
        (nn.BCELoss(), (y, y), F.binary_cross_entropy(y, y)),
        (nn.BCEWithLogitsLoss(reduction='none'), (x, y), F.binary_cross_entropy_with_logits(x, y, reduction='none')),
    ]
    for module, args, expected in pairs:
        numpy.testing.assert_array_equal(module(*args).numpy(), expected.numpy(), err_msg=repr(module))
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss(reduction='mean', ignore_index=-100, label_smoothing=0.0)"


def test_loss_weights_are_buffers():
    """As PyTorch's: ``weight`` and ``pos_weight`` move with ``to()`` and are in the state."""
    x, labels = minidl.randn(4, 3), minidl.tensor([0, 2, 1, 2])
    w = minidl.tensor([1.0, 2.0, 0.5])
    criterion = nn.CrossEntropyLoss(w, label_smoothing=0.1)
    numpy.testing.assert_array_equal(criterion(x, labels).numpy(),
                                     F.cross_entropy(x, labels, weight=w, label_smoothing=0.1).numpy())
    assert list(criterion.state_dict()) == ['weight'] and list(nn.CrossEntropyLoss().state_dict()) == []
    assert criterion.to(minidl.float64).weight.dtype == minidl.float64
    assert nn.NLLLoss(w)(x, labels).item() == pytest.approx(F.nll_loss(x, labels, weight=w).item(), rel=1e-6)
    y, p = minidl.rand(4, 3), minidl.tensor([3.0, 1.0, 0.5])
    bce = nn.BCEWithLogitsLoss(pos_weight=p, reduction='sum')
    assert list(bce.state_dict()) == ['pos_weight']
    assert bce(x, y).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(x, y, pos_weight=p, reduction='sum').item(), rel=1e-6)
    with pytest.raises(TypeError, match="CrossEntropyLoss: weight must be a Tensor or None, got int"):
        nn.CrossEntropyLoss(-100)
    with pytest.raises(TypeError, match="BCEWithLogitsLoss: pos_weight must be a Tensor or None, got list"):
        nn.BCEWithLogitsLoss(pos_weight=[2.0])
    with pytest.raises(ValueError, match="MSELoss: reduction must be"):
        nn.MSELoss(reduction='average')


def test_pooling_modules():
    x = minidl.randn(2, 3, 8, 6)
    numpy.testing.assert_array_equal(nn.MaxPool2d(2)(x).numpy(), F.max_pool2d(x, 2).numpy())
    numpy.testing.assert_array_equal(nn.AvgPool2d(3, 1, 1)(x).numpy(), F.avg_pool2d(x, 3, 1, 1).numpy())
    numpy.testing.assert_allclose(nn.AdaptiveAvgPool2d(1)(x).numpy(), x.numpy().mean(axis=(2, 3), keepdims=True),
                                  rtol=1e-6)
    assert repr(nn.MaxPool2d(2)) == 'MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)'
    assert nn.MaxPool2d(2, ceil_mode=True)(minidl.randn(1, 1, 5, 5)).shape == (1, 1, 3, 3)
    assert nn.AvgPool2d(2, ceil_mode=True)(minidl.ones(1, 1, 5, 5)).tolist()[0][0][2] == [1.0, 1.0, 1.0]


def test_cnn_repr_shows_the_tree_with_parameter_counts():
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(8 * 14 * 14, 10))
    text = repr(model)
    assert text.splitlines()[0] == 'Sequential(  # 15,770 parameters'
    assert '  (0): Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))  # 80 parameters' in text
    assert model(minidl.randn(2, 1, 28, 28)).shape == (2, 10)


def test_float32_in_float32_out_and_gradients():
    x = minidl.randn(2, 3, 4, 4, requires_grad=True)
    y, labels = minidl.rand(2, 3, 4, 4), minidl.tensor([0, 1])
    ops = {
        'leaky_relu': lambda: F.leaky_relu(x), 'prelu': lambda: F.prelu(x, minidl.tensor([0.2, 0.3, 0.1])),
        'elu': lambda: F.elu(x), 'selu': lambda: F.selu(x), 'gelu': lambda: F.gelu(x),
        'gelu tanh': lambda: F.gelu(x, 'tanh'), 'silu': lambda: F.silu(x), 'softplus': lambda: F.softplus(x),
        'softmax': lambda: F.softmax(x, 1), 'log_softmax': lambda: F.log_softmax(x, 1),
        'cross_entropy': lambda: F.cross_entropy(x.reshape(2, -1), labels),
        'bce': lambda: F.binary_cross_entropy(x.sigmoid(), y),
        'bce logits': lambda: F.binary_cross_entropy_with_logits(x, y), 'huber': lambda: F.huber_loss(x, y),
        'conv2d': lambda: F.conv2d(x, minidl.randn(2, 3, 3, 3), minidl.randn(2)),
        'max_pool2d': lambda: F.max_pool2d(x, 2), 'avg_pool2d': lambda: F.avg_pool2d(x, 2),
        'adaptive_avg_pool2d': lambda: F.adaptive_avg_pool2d(x, (3, 2)),
    }
    for name, op in ops.items():
        x.grad = None
        out = op()
        out.sum().backward()
        assert out.dtype == numpy.float32 and x.grad.dtype == numpy.float32, name
