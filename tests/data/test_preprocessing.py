"""Scalers (fit on train only), channel statistics, one_hot."""
import numpy
import pytest

import minidl
from minidl.data import MinMaxScaler, StandardScaler, TensorDataset, channel_mean_std, load_mnist_5k, one_hot


@pytest.mark.parametrize('scaler', [StandardScaler(), MinMaxScaler(), MinMaxScaler((-2, 3))])
def test_scalers_round_trip_and_fit_on_train_only(scaler):
    rng = numpy.random.default_rng(0)
    train = rng.normal(5, 3, (200, 4)) * [1, 10, 0.1, 1]
    train[:, 3] = 7.0                                          # a constant feature
    test = rng.normal(5, 3, (50, 4))
    z = scaler.fit_transform(train)
    if isinstance(scaler, StandardScaler):
        numpy.testing.assert_allclose(z[:, :3].mean(0), 0, atol=1e-12)
        numpy.testing.assert_allclose(z[:, :3].std(0), 1, rtol=1e-12)
        numpy.testing.assert_allclose(z[:, 3], 0)
    else:
        numpy.testing.assert_allclose(z[:, :3].min(0), scaler.feature_range[0])
        numpy.testing.assert_allclose(z[:, :3].max(0), scaler.feature_range[1])
    numpy.testing.assert_allclose(scaler.inverse_transform(scaler.transform(test)), test, rtol=1e-12)
    before = (scaler.shift_.copy(), scaler.spread_.copy())
    scaler.transform(test)                                     # transforming never refits
    numpy.testing.assert_array_equal(before[0], scaler.shift_)


def test_scaler_errors_and_tensors():
    with pytest.raises(RuntimeError, match=r'StandardScaler.transform: call fit\(x_train\) first'):
        StandardScaler().transform(numpy.zeros((2, 2)))
    scaler = StandardScaler().fit(minidl.tensor([[1.0, 2.0], [3.0, 6.0]]))
    out = scaler.transform(minidl.tensor([[2.0, 4.0]]))
    assert isinstance(out, minidl.Tensor) and out.dtype == numpy.float32
    assert out.numpy().tolist() == [[0.0, 0.0]]
    with pytest.raises(ValueError, match=r'fitted on features of shape \(2,\), got input of shape \(1, 3\)'):
        scaler.transform(numpy.zeros((1, 3)))
    ints = MinMaxScaler().fit(numpy.array([[0], [255]]))
    assert ints.transform(numpy.array([[51]])).tolist() == [[numpy.float32(0.2)]]


def test_channel_mean_std_array_and_dataset():
    rng = numpy.random.default_rng(1)
    x = rng.random((50, 3, 5, 5)).astype(numpy.float32) * [[[2]], [[1]], [[0.5]]]
    mean, std = channel_mean_std(x)
    numpy.testing.assert_allclose(mean, x.mean(axis=(0, 2, 3)), rtol=1e-6)
    numpy.testing.assert_allclose(std, x.std(axis=(0, 2, 3)), rtol=1e-5)
    mean2, std2 = channel_mean_std(TensorDataset(x, numpy.arange(50)), batch_size=7)
    numpy.testing.assert_allclose(mean2, mean, rtol=1e-10)
    numpy.testing.assert_allclose(std2, std, rtol=1e-8)
    with pytest.raises(ValueError, match='channel_mean_std'):
        channel_mean_std(x[0])


def test_one_hot():
    out = one_hot(minidl.tensor([1, 0, 3]), 4)
    assert isinstance(out, minidl.Tensor) and out.numpy().tolist() == [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]
    assert one_hot(numpy.array([[0, 2]])).shape == (1, 2, 3)
    with pytest.raises(ValueError, match=r'labels must lie in \[0, 2\)'):
        one_hot(numpy.array([0, 2]), 2)
    with pytest.raises(TypeError, match='integers'):
        one_hot(numpy.array([0.5]))


@pytest.mark.parametrize('dtype', [numpy.float32, numpy.float64])
def test_standard_scaler_near_constant_features_are_only_centred(dtype):
    """A column of 0.1 is constant: in float32 its std came out as 1.5e-8 and rounding noise
    was scaled to -1. scikit-learn's bound var <= n eps var + (n mean eps)^2 takes it as 0."""
    x = numpy.concatenate([numpy.full((1000, 1), 0.1), numpy.full((1000, 1), 1e5 + 0.1),
                           numpy.tile([[1e-10], [3e-10]], (500, 1))], axis=1).astype(dtype)
    scaler = StandardScaler().fit(x)
    assert scaler.spread_.dtype == dtype and scaler.spread_[:2].tolist() == [1.0, 1.0]
    z = scaler.transform(x)
    numpy.testing.assert_allclose(z[:, :2], 0, atol=1e-8)           # only the float64 mean's rounding
    # a small but real spread is not constant: 1e-10 and 3e-10 have mean 2e-10, std 1e-10
    numpy.testing.assert_allclose(z[:2, 2], [-1.0, 1.0], rtol=1e-5)


def test_standard_scaler_accumulates_float32_data_in_float64():
    """1e5 values 1e6 + N(0, 1) in float32: float32 sums gave std 1.0024 where the data's
    (float64 reference) std is 1.0004."""
    x = (1e6 + numpy.random.default_rng(0).standard_normal((100_000, 1))).astype(numpy.float32)
    reference = x.astype(numpy.float64)
    scaler = StandardScaler().fit(x)
    assert scaler.shift_.dtype == numpy.float32
    numpy.testing.assert_allclose(scaler.spread_, reference.std(axis=0), rtol=1e-6)
    numpy.testing.assert_allclose(scaler.shift_, reference.mean(axis=0), rtol=1e-7)


def test_channel_mean_std_does_not_cancel_under_a_large_offset():
    """1e5 + N(0, 1e-3): sqrt(E[x^2] - mean^2) gave 1.4e-3 and 0 for stds of about 1e-3; the
    reference is NumPy's two-pass float64 std of the whole array."""
    x = 1e5 + 1e-3 * numpy.random.default_rng(0).standard_normal((64, 2, 6, 6))
    reference = x.std(axis=(0, 2, 3))
    for result in (channel_mean_std(x), channel_mean_std(TensorDataset(x, numpy.arange(64)), batch_size=10)):
        numpy.testing.assert_allclose(result[0], x.mean(axis=(0, 2, 3)), rtol=1e-14)
        numpy.testing.assert_allclose(result[1], reference, rtol=1e-9)


def test_channel_mean_std_of_uint8_and_mnist_match_the_one_shot_values():
    """Batches merged by Chan's formula agree with the float64 mean and std of the whole array
    (and one batch, the array itself, is that one-shot computation)."""
    pixels = numpy.random.default_rng(2).integers(0, 256, (100, 3, 5, 5), dtype=numpy.uint8)
    x, y = load_mnist_5k()
    for images, labels, batch_size in [(pixels, numpy.arange(100), 7), (x, y, 1024)]:
        reference = images.astype(numpy.float64)
        expected = reference.mean(axis=(0, 2, 3)), reference.std(axis=(0, 2, 3))
        for mean, std in (channel_mean_std(images), channel_mean_std(TensorDataset(images, labels), batch_size)):
            numpy.testing.assert_allclose(mean, expected[0], rtol=1e-13)
            numpy.testing.assert_allclose(std, expected[1], rtol=1e-13)


def test_channel_mean_std_of_nothing_is_a_clear_error():
    with pytest.raises(ValueError, match=r'channel_mean_std: no pixels to average, got images of shape \(0, 3, 4, 4\)'):
        channel_mean_std(numpy.zeros((0, 3, 4, 4)))
    with pytest.raises(ValueError, match='channel_mean_std: no pixels to average, got a TensorDataset of 0 samples'):
        channel_mean_std(TensorDataset(numpy.zeros((0, 1, 2, 2)), numpy.zeros(0, dtype=numpy.int64)))


def test_one_hot_of_empty_labels_needs_num_classes():
    """PyTorch: 'Can not infer total number of classes from empty tensor'; NumPy's max of an
    empty array raised 'zero-size array to reduction operation'."""
    with pytest.raises(ValueError, match=r'one_hot: cannot infer num_classes from empty labels \(shape \(0,\)\)'):
        one_hot(numpy.zeros(0, dtype=numpy.int64))
    assert one_hot(numpy.zeros(0, dtype=numpy.int64), 3).shape == (0, 3)
