"""PyTorch parity of activations, initializers, dropout and normalization: the behaviours
that PyTorch 2.x shows and minidl once missed (expected values written out, not computed
with torch)."""
import warnings

import numpy
import pytest

import minidl
import minidl.nn.functional as F
from minidl import nn
from tests.gradcases import Case, check, t

X = [[0.5, 1.0, 2.0], [3.0, -1.0, 0.0]]
IMPLICIT = 'Implicit dimension choice for {} has been deprecated'


# ------------------------------------------------------------------ softmax's implicit dim
@pytest.mark.parametrize('shape, axis', [((), None), ((3,), 0), ((2, 3), 1), ((2, 3, 4), 0),
                                         ((2, 3, 4, 5), 1)])
def test_softmax_without_dim_picks_torchs_axis_with_a_warning(shape, axis):
    x = minidl.tensor(numpy.arange(float(numpy.prod(shape))).reshape(shape) % 5)
    with pytest.warns(UserWarning, match=IMPLICIT.format('softmax')):
        y = F.softmax(x, None)
    with pytest.warns(UserWarning, match=IMPLICIT.format('log_softmax')):
        log_y = F.log_softmax(x)
    ones = numpy.ones([n for i, n in enumerate(shape) if i != axis])
    numpy.testing.assert_allclose(y.numpy().sum(axis=axis), ones, rtol=1e-6)
    numpy.testing.assert_allclose(numpy.exp(log_y.numpy()).sum(axis=axis), ones, rtol=1e-6)


def test_softmax_modules_default_to_the_implicit_dim():
    assert repr(nn.Softmax()) == 'Softmax(dim=None)' and repr(nn.LogSoftmax()) == 'LogSoftmax(dim=None)'
    with pytest.warns(UserWarning, match=IMPLICIT.format('softmax')):
        y = nn.Softmax()(minidl.tensor(X))
    numpy.testing.assert_allclose(y.numpy()[0], [0.14024438, 0.23122388, 0.62853175], rtol=1e-6)
    numpy.testing.assert_allclose(y.numpy().sum(1), [1.0, 1.0], rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter('error')                     # an explicit dim: no warning
        F.softmax(minidl.tensor(X), 1)
        nn.LogSoftmax(-1)(minidl.tensor(X))


@pytest.mark.parametrize('fn, shape, axis', [(F.softmax, (2, 3), 1), (F.log_softmax, (2, 3, 2), 0)])
def test_softmax_implicit_dim_is_the_explicit_one_with_its_gradients(fn, shape, axis):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)
        x = t(*shape)
        assert (fn(x, None).numpy() == fn(x, axis).numpy()).all()
        check(Case(f'{fn.__name__}, implicit dim {axis} of {shape}', lambda x: fn(x, None), lambda: [t(*shape)]))


@pytest.mark.parametrize('fn, op', [(F.softmax, 'softmax'), (F.log_softmax, 'log_softmax')])
def test_softmax_refuses_a_tuple_or_out_of_range_dim(fn, op):
    with pytest.raises(TypeError, match=rf'{op}: dim must be an int, got \(0, 1\)'):
        fn(minidl.tensor(X), (0, 1))
    with pytest.raises(IndexError, match=rf'{op}: dim 2 is out of range for a tensor with 2 dimensions'):
        fn(minidl.tensor(X), 2)


# ------------------------------------------------------------------ initializers
RANDOM_INITS = ['uniform_', 'normal_', 'trunc_normal_', 'xavier_uniform_', 'xavier_normal_',
                'kaiming_uniform_', 'kaiming_normal_', 'lecun_uniform_', 'lecun_normal_', 'orthogonal_']


@pytest.mark.parametrize('name', RANDOM_INITS)
@pytest.mark.parametrize('dtype', ['int64', 'bool'])
def test_random_initializers_refuse_a_tensor_that_is_not_floating(name, dtype):
    w = minidl.tensor([[1, 2], [3, 4]], dtype=dtype)
    with pytest.raises(TypeError, match=rf'{name}: expected a floating point tensor, got {dtype}'):
        getattr(nn.init, name)(w)
    assert w.tolist() == minidl.tensor([[1, 2], [3, 4]], dtype=dtype).tolist()     # untouched
    assert nn.init.zeros_(w).tolist() == [[0, 0], [0, 0]]            # the constant ones fill any tensor


def test_uniform_and_normal_refuse_an_empty_range_or_negative_std():
    with pytest.raises(ValueError, match=r'uniform_: expected a <= b .*got a=1 > b=0'):
        nn.init.uniform_(minidl.empty(3), 1, 0)
    with pytest.raises(ValueError, match=r'normal_: expected std >= 0, got std=-1'):
        nn.init.normal_(minidl.empty(3), 0, -1)
    assert nn.init.uniform_(minidl.empty(3), 2.0, 2.0).tolist() == [2.0, 2.0, 2.0]
    assert nn.init.normal_(minidl.empty(3), 5.0, 0.0).tolist() == [5.0, 5.0, 5.0]


# ------------------------------------------------------------------ hardtanh, leaky_relu
def test_hardtanh_refuses_min_val_above_max_val():
    with pytest.raises(ValueError, match=r'hardtanh: min_val cannot be greater than max_val, got min_val=1.0'):
        F.hardtanh(minidl.tensor([0.0, 5.0]), 1.0, -1.0)
    with pytest.raises(ValueError, match=r'Hardtanh: max_val \(-1.0\) must be greater than min_val \(1.0\)'):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(ValueError, match=r'Hardtanh: max_val \(1.0\) must be greater than min_val \(1.0\)'):
        nn.Hardtanh(1.0, 1.0)
    assert F.hardtanh(minidl.tensor([0.0, 5.0]), 1.0, 1.0).tolist() == [1.0, 1.0]


@pytest.mark.parametrize('dtype', ['int64', 'int32'])
def test_hardtanh_keeps_integers_integer_with_truncated_bounds(dtype):
    x = minidl.tensor([-2, 0, 3], dtype=dtype)
    y = F.hardtanh(x)
    assert y.dtype == numpy.dtype(dtype) and y.tolist() == [-1, 0, 1]
    assert F.hardtanh(x, -1.5, 2.7).tolist() == [-1, 0, 2]
    clamped = x.clamp(-1.0, 1.0)                          # clamp with float bounds: floats, as in PyTorch
    assert clamped.dtype == numpy.float32 and clamped.tolist() == [-1.0, 0.0, 1.0]


@pytest.mark.parametrize('slope', [None, 'a', [0.1]])
def test_leaky_relu_refuses_a_slope_that_is_not_a_number(slope):
    with pytest.raises(TypeError, match=r'leaky_relu: negative_slope must be a real number, got'):
        F.leaky_relu(minidl.tensor([-1.0]), slope)
    with pytest.raises(TypeError, match=r'leaky_relu: negative_slope must be a real number'):
        nn.LeakyReLU(slope)(minidl.tensor([-1.0]))
    assert F.leaky_relu(minidl.tensor([-2.0, 3.0]), 1).tolist() == [-2.0, 3.0]


# ------------------------------------------------------------------ normalization errors
def test_batch_norm_needs_both_running_statistics_or_neither():
    with pytest.raises(ValueError, match='batch_norm: running_mean and running_var must either both be None '
                                         'or neither be None'):
        F.batch_norm(minidl.ones(4, 3), minidl.zeros(3), None, training=True)
    with pytest.raises(ValueError, match='batch_norm: running_mean and running_var must either both'):
        F.batch_norm(minidl.ones(4, 3), None, minidl.ones(3))


@pytest.mark.parametrize('training', [True, False])
def test_batch_norm_names_running_statistics_of_the_wrong_size(training):
    with pytest.raises(ValueError, match=r'batch_norm: running_mean of shape \(5,\) does not fit input of '
                                         r'shape \(4, 3\): expected 3 elements'):
        F.batch_norm(minidl.ones(4, 3), minidl.zeros(5), minidl.ones(5), training=training)
    with pytest.raises(ValueError, match=r'batch_norm: running_var of shape \(2,\) does not fit input'):
        F.batch_norm(minidl.ones(4, 3), minidl.zeros(3), minidl.ones(2), training=training)


@pytest.mark.parametrize('num_groups', [0, -2])
def test_group_norm_refuses_a_num_groups_that_is_not_positive(num_groups):
    with pytest.raises(ValueError, match=rf'group_norm: num_channels=4 must be divisible by '
                                         rf'num_groups={num_groups}, a positive number, got input of shape \(2, 4\)'):
        F.group_norm(minidl.ones(2, 4), num_groups)
    with pytest.raises(ValueError, match=rf'GroupNorm: num_channels=4 must be divisible by num_groups={num_groups}'):
        nn.GroupNorm(num_groups, 4)


class _ForeignTensor:
    """Another library's tensor (as torch's): a dtype of its own, without NumPy's ``kind``,
    and ``__array__`` to convert itself."""

    def __init__(self, values):
        self.values = numpy.asarray(values, dtype=numpy.float32)
        self.shape, self.dtype = self.values.shape, 'foreign.float32'

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)


def test_load_state_dict_converts_foreign_array_likes():
    state = {'weight': _ForeignTensor([3.0, 4.0]), 'bias': _ForeignTensor([0.5, 0.25]),
             'running_mean': _ForeignTensor([1.0, 2.0]), 'running_var': _ForeignTensor([2.0, 3.0]),
             'num_batches_tracked': _ForeignTensor(7)}
    bn = nn.BatchNorm1d(2)
    bn.load_state_dict(state)
    assert bn.weight.tolist() == [3.0, 4.0] and bn.running_var.tolist() == [2.0, 3.0]
    assert bn.num_batches_tracked.dtype == numpy.int64 and bn.num_batches_tracked.item() == 7


def test_load_state_dict_names_the_key_and_type_of_an_unconvertible_value():
    class Unconvertible(_ForeignTensor):
        def __array__(self, dtype=None, copy=None):
            raise RuntimeError("Can't call numpy() on Tensor that requires grad")

    bn = nn.BatchNorm1d(2)
    state = dict(bn.state_dict(), weight=Unconvertible([3.0, 4.0]))
    with pytest.raises(ValueError, match='weight: got Unconvertible, expected a numeric array for a float32'):
        bn.load_state_dict(state)
    assert bn.weight.tolist() == [1.0, 1.0]


# ------------------------------------------------------------------ small API gaps
def test_layer_norm_without_bias():
    ln = nn.LayerNorm(2, bias=False)
    assert [name for name, _ in ln.named_parameters()] == ['weight'] and ln.bias is None
    assert repr(ln) == 'LayerNorm((2,), eps=1e-05, elementwise_affine=True, bias=False)  # 2 parameters'
    numpy.testing.assert_allclose(ln(minidl.tensor([[1.0, 3.0]])).numpy(), [[-0.999995, 0.999995]], rtol=1e-6)


def test_repr_counts_one_parameter_in_the_singular():
    assert repr(nn.PReLU()) == 'PReLU(num_parameters=1)  # 1 parameter'
