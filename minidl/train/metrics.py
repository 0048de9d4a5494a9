"""Classification metrics on Tensors or arrays (NumPy or CuPy): accuracy, top-k, confusion.

``output`` is either scores of shape (N, C) (logits or probabilities: the prediction is the
arg-max over classes) or predicted labels of shape (N,); ``target`` holds integer labels (N,).

Example:
    >>> import numpy as np
    >>> logits = np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 3.0], [1.0, 0.0, 0.5]])
    >>> target = np.array([0, 1, 2])
    >>> accuracy(logits, target), top_k_accuracy(logits, target, k=2)
    (0.3333333333333333, 1.0)
    >>> confusion_matrix(logits, target).tolist()
    [[1, 0, 0], [0, 0, 1], [1, 0, 0]]
"""
import re

import numpy

from .. import backend
from ..autograd.tensor import Tensor


def _numpy(x):
    return backend.to_numpy(x.data if isinstance(x, Tensor) else x)


def _predictions(output):
    output = _numpy(output)
    return output.argmax(axis=1) if output.ndim == 2 else output


def _check(output, target, name):
    """One integer label per sample: a target of shape (N, 1) would broadcast against the
    (N,) predictions into an (N, N) table of every pair, and give a meaningless fraction."""
    if target.ndim != 1:
        raise ValueError(f"{name}: target must hold one class label per sample, shape (N,), got shape "
                         f"{target.shape}" + (" (flatten it: target.reshape(-1))" if target.ndim == 2 else ""))
    if len(output) != len(target):
        raise ValueError(f"{name}: output has {len(output)} samples, target has {len(target)}")


def accuracy(output, target):
    """The fraction of samples whose predicted class equals the target (a float in [0, 1])."""
    predicted, target = _predictions(output), _numpy(target)
    _check(predicted, target, 'accuracy')
    return float((predicted == target).mean()) if len(target) else 0.0


def top_k_accuracy(output, target, k=5):
    """The fraction of samples whose target is among the ``k`` highest scores of (N, C) ``output``
    (``k`` >= C counts every sample)."""
    scores, target = _numpy(output), _numpy(target)
    _check(scores, target, 'top_k_accuracy')
    if scores.ndim != 2:
        raise ValueError(f"top_k_accuracy: needs scores of shape (N, C), got {scores.shape}")
    if isinstance(k, bool) or not isinstance(k, (int, numpy.integer)) or k < 1:
        raise ValueError(f"top_k_accuracy: k must be a positive integer (how many of the highest scores "
                         f"count), got {k!r}")
    k = min(int(k), scores.shape[1])
    top = numpy.argpartition(-scores, k - 1, axis=1)[:, :k]
    return float((top == target[:, None]).any(axis=1).mean()) if len(target) else 0.0


def confusion_matrix(output, target, num_classes=None):
    """C x C int64 counts: entry [i, j] is the number of samples of true class i predicted as j."""
    predicted, target = _predictions(output).astype(numpy.int64), _numpy(target).astype(numpy.int64)
    _check(predicted, target, 'confusion_matrix')
    if num_classes is None:
        scores = _numpy(output)
        num_classes = scores.shape[1] if scores.ndim == 2 else int(max(predicted.max(initial=-1),
                                                                       target.max(initial=-1)) + 1)
    for what, labels in (('predictions', predicted), ('targets', target)):
        _check_labels(labels, num_classes, what)
    counts = numpy.bincount(target * num_classes + predicted, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def _check_labels(labels, num_classes, what):
    """Every label must be a row/column of the C x C table: bincount on target * C + predicted
    would otherwise count an out-of-range label in another class's cell, or fail obscurely."""
    bad = labels[(labels < 0) | (labels >= num_classes)]
    if len(bad):
        raise ValueError(f"confusion_matrix: {what} must be class labels in [0, {num_classes}), got "
                         f"{sorted(set(bad.tolist()))[:10]}")


METRICS = {'accuracy': accuracy, 'top_k_accuracy': top_k_accuracy, 'confusion_matrix': confusion_matrix}


def get_metric(metric):
    """``(name, function)`` for a metric name (``'accuracy'``, ``'top_k_accuracy'``,
    ``'top3_accuracy'``, ``'confusion_matrix'``) or a callable ``fn(output, target)``.

    >>> get_metric('top3_accuracy')[0]
    'top3_accuracy'
    """
    if callable(metric):
        return getattr(metric, '__name__', 'metric'), metric
    if metric in METRICS:
        return metric, METRICS[metric]
    match = re.fullmatch(r'top(\d+)_accuracy', str(metric))
    if match:
        k = int(match.group(1))
        return metric, lambda output, target: top_k_accuracy(output, target, k)
    raise ValueError(f"unknown metric {metric!r}; expected one of {sorted(METRICS)}, "
                     f"'top<k>_accuracy', or a function fn(output, target)")
