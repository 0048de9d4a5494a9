"""Input preprocessing: feature scaling fitted on training data, image statistics, one-hot.

Fit a scaler on the *training* split only, then transform every split with the statistics
it learned; fitting on validation or test data leaks them into training.

Scalers accept NumPy/CuPy arrays or Tensors of shape (N, ...) and return the same kind;
statistics are taken over axis 0 (one per feature). Integer input is scaled as floats of
the default dtype (float32).

Example:
    >>> import numpy as np
    >>> scaler = StandardScaler().fit(np.array([[0.0, 10.0], [2.0, 30.0]]))
    >>> scaler.transform(np.array([[1.0, 40.0]])).tolist()
    [[0.0, 2.0]]
"""
import sys

from .. import backend
from ..autograd.tensor import Tensor
from .dataloader import DataLoader
from .dataset import Dataset

FLOAT64_EPS = sys.float_info.epsilon        # 2.2e-16, the spacing of float64 numbers at 1


def _unwrap(x):
    """(raw array, function turning a raw result back into the kind of x)."""
    if isinstance(x, Tensor):
        return x.data, Tensor
    return x, lambda array: array


class _Scaler:
    """fit / transform / inverse_transform / fit_transform around a per-feature affine map
    x -> (x - shift) / spread, with ``shift`` and ``spread`` learned by ``_statistics``."""

    def __init__(self):
        self.shift_ = self.spread_ = None

    def fit(self, x):
        """Learn the per-feature statistics of ``x`` (N, ...); returns self."""
        data, _ = _unwrap(x)
        self.shift_, self.spread_ = self._statistics(data)
        return self

    def _checked(self, x, caller):
        if self.shift_ is None:
            raise RuntimeError(f"{type(self).__name__}.{caller}: call fit(x_train) first")
        data, wrap = _unwrap(x)
        if tuple(data.shape[1:]) != tuple(self.shift_.shape):
            raise ValueError(f"{type(self).__name__}.{caller}: fitted on features of shape "
                             f"{tuple(self.shift_.shape)}, got input of shape {tuple(data.shape)}")
        if data.dtype.kind != 'f':                          # integer pixels or counts: scale as floats
            data = data.astype(backend.get_default_dtype())
        return data, wrap

    def transform(self, x):
        data, wrap = self._checked(x, 'transform')
        return wrap(((data - self.shift_) / self.spread_).astype(data.dtype, copy=False))

    def inverse_transform(self, x):
        data, wrap = self._checked(x, 'inverse_transform')
        return wrap((data * self.spread_ + self.shift_).astype(data.dtype, copy=False))

    def fit_transform(self, x):
        return self.fit(x).transform(x)


class StandardScaler(_Scaler):
    """Standardize features: z = (x - mean) / std, mean and (population) std over the samples.

    The statistics are accumulated in float64, whatever the data's dtype (float32 sums of
    1e6 + N(0, 1) lose the N(0, 1) to rounding), two-pass: mean first, then
    var = mean((x - mean)^2); they are stored in the data's floating dtype.

    A feature that is constant up to rounding is only centred (its std is taken as 1).
    The test is scikit-learn's (``_is_constant_feature``), from the error bound of the
    two-pass variance (Chan, Golub & LeVeque, 1983): with n samples and eps the float64
    machine epsilon, var <= n eps var + (n mean eps)^2 is indistinguishable from 0. A
    float32 column of 0.1 is constant (std 0 in float64; its float32 std is 1.5e-8, which
    would blow rounding noise up to +-1).

    Example:
        >>> import numpy as np
        >>> StandardScaler().fit_transform(np.array([[1.0], [3.0]])).ravel().tolist()
        [-1.0, 1.0]
        >>> StandardScaler().fit_transform(np.full((3, 1), 0.1, dtype=np.float32)).ravel().tolist()
        [0.0, 0.0, 0.0]
    """

    @staticmethod
    def _statistics(data):
        xp = backend.get_array_module(data)
        x = data.astype(xp.float64)
        n, mean = len(x), x.mean(axis=0)
        var = ((x - mean) ** 2).mean(axis=0)
        constant = var <= n * FLOAT64_EPS * var + (n * mean * FLOAT64_EPS) ** 2
        std = xp.where(constant, 1.0, xp.sqrt(var))
        dtype = data.dtype if data.dtype.kind == 'f' else xp.float64
        return mean.astype(dtype), std.astype(dtype)


class MinMaxScaler(_Scaler):
    """Rescale features to ``feature_range`` (a, b): x' = a + (x - min) (b - a) / (max - min).

    Example:
        >>> import numpy as np
        >>> MinMaxScaler((-1, 1)).fit_transform(np.array([[0.0], [5.0], [10.0]])).ravel().tolist()
        [-1.0, 0.0, 1.0]
    """

    def __init__(self, feature_range=(0.0, 1.0)):
        super().__init__()
        low, high = feature_range
        if not low < high:
            raise ValueError(f"MinMaxScaler: feature_range must have low < high, got {feature_range}")
        self.feature_range = (float(low), float(high))

    def _statistics(self, data):
        # x' = a + (x - min)(b - a)/(max - min) is (x - shift) / spread with
        # spread = (max - min)/(b - a) and shift = min - a * spread
        xp = backend.get_array_module(data)
        low, high = self.feature_range
        span = data.max(axis=0) - data.min(axis=0)
        spread = xp.where(span > 0, span, 1) / (high - low)
        return data.min(axis=0) - low * spread, spread


def channel_mean_std(images, batch_size=1024):
    """Per-channel mean and std of images (N, C, H, W), over all images and pixels.

    ``images`` is an array, a Tensor, or a Dataset whose samples start with an image (read
    in batches by a DataLoader). Each batch gives, in float64, its count n, mean and sum of
    squared deviations M2 = sum (x - mean)^2 (two passes over the batch), and the batches are
    merged by the parallel formula of Chan, Golub & LeVeque (1979): with delta = mean_b - mean_a,

        n = n_a + n_b,   mean = mean_a + delta n_b / n,   M2 = M2_a + M2_b + delta^2 n_a n_b / n,

    and std = sqrt(M2 / n) (the population std). Unlike sqrt(E[x^2] - mean^2), this does not
    cancel when the mean is large against the spread (1e5 + N(0, 1e-3) has std 1e-3, which
    the one-pass formula got as 2e-3). Returns two float64 NumPy arrays of length C, ready for
    :class:`~minidl.data.transforms.Normalize`. Compute them on the training split.

    Example:
        >>> import numpy as np
        >>> mean, std = channel_mean_std(np.stack([np.zeros((2, 3, 3)), np.ones((2, 3, 3))]))
        >>> mean.tolist(), std.tolist()
        ([0.5, 0.5], [0.5, 0.5])
    """
    if isinstance(images, Dataset):
        batches = (b[0] if isinstance(b, tuple) else b for b in DataLoader(images, batch_size=batch_size))
        received = f'a {type(images).__name__} of {len(images)} samples'
    else:
        batches = [images]
        received = f'images of shape {tuple(images.shape)}'
    moments = (0, 0.0, 0.0)
    for batch in batches:
        data = (batch.data if isinstance(batch, Tensor) else batch).astype('float64')
        if data.ndim != 4:
            raise ValueError(f"channel_mean_std: expected images of shape (N, C, H, W), got {tuple(data.shape)}")
        count = data.shape[0] * data.shape[2] * data.shape[3]
        if count:
            mean = data.mean(axis=(0, 2, 3))
            m2 = ((data - mean[:, None, None]) ** 2).sum(axis=(0, 2, 3))
            moments = _merge_moments(moments, (count, backend.to_numpy(mean), backend.to_numpy(m2)))
    count, mean, m2 = moments
    if not count:
        raise ValueError(f"channel_mean_std: no pixels to average, got {received}")
    return mean, (m2 / count) ** 0.5


def _merge_moments(a, b):
    """(n, mean, M2) of two sets of values merged (Chan, Golub & LeVeque, 1979).

    Written as mean_a + delta (n_b / n) so that merging into the empty set (0, 0, 0) gives
    the batch's own moments exactly: one batch is the one-shot computation.

    Example:
        >>> _merge_moments((2, 1.0, 2.0), (2, 3.0, 2.0))      # {0, 2} and {2, 4}
        (4, 2.0, 8.0)
    """
    (n_a, mean_a, m2_a), (n_b, mean_b, m2_b) = a, b
    n = n_a + n_b
    delta = mean_b - mean_a
    return n, mean_a + delta * (n_b / n), m2_a + m2_b + delta ** 2 * (n_a * n_b / n)


def one_hot(labels, num_classes=None, dtype='float32'):
    """One-hot rows: out[k, labels[k]] = 1, zeros elsewhere; shape (N, num_classes).

    ``num_classes`` defaults to max(labels) + 1; empty labels need it given (as in PyTorch,
    there is no max to infer it from). A Tensor gives a Tensor, an array an array.

    Example:
        >>> import numpy as np
        >>> one_hot(np.array([2, 0]), 3).tolist()
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    data, wrap = _unwrap(labels)
    xp = backend.get_array_module(data)
    if data.dtype.kind not in 'iu':
        raise TypeError(f"one_hot: labels must be integers, got dtype {data.dtype}")
    if num_classes is None and data.size == 0:
        raise ValueError(f"one_hot: cannot infer num_classes from empty labels (shape {tuple(data.shape)}); "
                         f"pass num_classes")
    num_classes = int(data.max()) + 1 if num_classes is None else int(num_classes)
    if data.size and (int(data.min()) < 0 or int(data.max()) >= num_classes):
        raise ValueError(f"one_hot: labels must lie in [0, {num_classes}), got range "
                         f"[{int(data.min())}, {int(data.max())}]")
    return wrap((data[..., None] == xp.arange(num_classes)).astype(dtype))
