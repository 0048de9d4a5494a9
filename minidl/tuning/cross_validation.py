"""K-fold cross-validation: every sample is validated on exactly once.

``KFold(n_splits)`` cuts the indices 0..n-1 (shuffled first if ``shuffle``) into
``n_splits`` contiguous folds whose sizes differ by at most one; fold k is the validation
set of split k and the rest is its training set. ``StratifiedKFold`` does the same while
keeping each class's proportion in every fold: the indices are ordered class by class
(shuffled within each class if ``shuffle``) and dealt to the folds in turn, so each fold
gets floor or ceil of (class count / n_splits) of every class.

``cross_val_score(build_and_train, data, cv)`` runs, for each split,
``score = build_and_train(train_data, val_data)``: the callback builds a *fresh* model,
trains it on ``train_data`` only, and returns one number measured on ``val_data`` (an
accuracy, a loss: cross_val_score does not care which way is better). ``data`` is either

- a tuple of arrays indexed along their first axis, e.g. ``(X, y)``: then ``train_data`` is
  ``(X[train_idx], y[train_idx])`` and ``val_data`` likewise; or
- an object with ``__len__`` whose ``__getitem__`` accepts an index array, e.g. a dataset:
  then ``train_data = data[train_idx]`` and ``val_data = data[val_idx]``.

Shuffling uses ``numpy.random.default_rng(seed)``.

    >>> import numpy as np
    >>> X = np.arange(10.0)[:, None]; y = 2 * X[:, 0]
    >>> def build_and_train(train, val):      # "model": the mean ratio y / x on train
    ...     (X_tr, y_tr), (X_val, y_val) = train, val
    ...     slope = y_tr.sum() / X_tr[:, 0].sum()
    ...     return float(np.mean((slope * X_val[:, 0] - y_val) ** 2))
    >>> scores = cross_val_score(build_and_train, (X, y), cv=5)
    >>> scores.scores.tolist(), scores.mean, scores.std
    ([0.0, 0.0, 0.0, 0.0, 0.0], 0.0, 0.0)
"""
import warnings

import numpy as np


def _n_samples(X):
    return X if isinstance(X, (int, np.integer)) else len(X)


class KFold:
    """K-fold splits of n samples; ``split(X)`` yields (train_idx, val_idx) index arrays.

    ``X`` may be the number of samples or anything with a length.

    >>> [val.tolist() for _, val in KFold(3).split(7)]
    [[0, 1, 2], [3, 4], [5, 6]]
    """

    def __init__(self, n_splits=5, shuffle=False, seed=None):
        if int(n_splits) != n_splits or n_splits < 2:
            raise ValueError(f"n_splits must be an integer >= 2, got {n_splits!r}")
        self.n_splits, self.shuffle, self.seed = int(n_splits), shuffle, seed

    def __repr__(self):
        return f"{type(self).__name__}(n_splits={self.n_splits}, shuffle={self.shuffle}, seed={self.seed})"

    def _check(self, n):
        if self.n_splits > n:
            raise ValueError(f"{self!r}: cannot make {self.n_splits} folds of {n} samples")

    def _fold_of(self, X, y):
        """fold_of[i] = the fold in which sample i is validated."""
        n = _n_samples(X)
        self._check(n)
        order = np.arange(n)
        if self.shuffle:
            order = np.random.default_rng(self.seed).permutation(n)
        sizes = np.full(self.n_splits, n // self.n_splits)
        sizes[:n % self.n_splits] += 1
        fold_of = np.empty(n, dtype=int)
        fold_of[order] = np.repeat(np.arange(self.n_splits), sizes)
        return fold_of

    def split(self, X, y=None):
        fold_of = self._fold_of(X, y)
        for k in range(self.n_splits):
            yield np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)


class StratifiedKFold(KFold):
    """K-fold splits that keep the class proportions of ``y`` in every fold;
    ``split(X, y)`` needs the labels.

    >>> y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> [y[val].tolist() for _, val in StratifiedKFold(2).split(y, y)]
    [[0, 0, 1, 1], [0, 0, 1, 1]]
    """

    def _fold_of(self, X, y):
        if y is None:
            raise ValueError("StratifiedKFold.split needs the labels: split(X, y)")
        y = np.asarray(y)
        n = len(y)
        if _n_samples(X) != n:
            raise ValueError(f"{self!r}: {_n_samples(X)} samples but {n} labels; they must match")
        self._check(n)
        rng = np.random.default_rng(self.seed)
        classes, counts = np.unique(y, return_counts=True)
        if counts.min() < self.n_splits:
            warnings.warn(f"{self!r}: the smallest class has only {counts.min()} members, "
                          "so some folds miss it", stacklevel=3)
        order = []
        for c in classes:
            members = np.flatnonzero(y == c)
            order.append(rng.permutation(members) if self.shuffle else members)
        fold_of = np.empty(n, dtype=int)
        fold_of[np.concatenate(order)] = np.arange(n) % self.n_splits
        return fold_of


class CrossValScores:
    """Per-fold scores with their ``mean`` and ``std`` (population standard deviation)."""

    def __init__(self, scores):
        self.scores = np.asarray(scores, dtype=float)
        self.mean = float(self.scores.mean())
        self.std = float(self.scores.std())

    def __len__(self):
        return len(self.scores)

    def __iter__(self):
        return iter(self.scores)

    def __repr__(self):
        return f"CrossValScores(mean={self.mean:.6g}, std={self.std:.6g}, scores={self.scores.tolist()})"


def _take(data, idx):
    if isinstance(data, tuple):
        return tuple(np.asarray(a)[idx] for a in data)
    return data[idx]


def _labels(data):
    if isinstance(data, tuple) and len(data) >= 2:
        return np.asarray(data[1])
    return getattr(data, 'targets', None)


def cross_val_score(build_and_train, data, cv=5, labels=None):
    """Cross-validate: one ``build_and_train(train_data, val_data) -> score`` per fold.

    Args:
        build_and_train: builds a fresh model, trains it on ``train_data``, returns a score
            on ``val_data`` (see the module docstring for what the two hold).
        data: a tuple of arrays ``(X, y, ...)`` or an object with ``__len__`` and
            ``__getitem__`` over index arrays.
        cv: a number of folds (``KFold(cv)``) or a splitter such as ``KFold`` or
            ``StratifiedKFold``.
        labels: class labels for a stratified splitter; by default the second array of
            a tuple, or the ``targets`` attribute of a dataset.

    Returns:
        ``CrossValScores`` with ``scores`` (one per fold), ``mean`` and ``std``.
    """
    splitter = KFold(cv) if isinstance(cv, (int, np.integer)) else cv
    first = data[0] if isinstance(data, tuple) else data
    labels = _labels(data) if labels is None else labels
    scores = [float(build_and_train(_take(data, train_idx), _take(data, val_idx)))
              for train_idx, val_idx in splitter.split(len(first), labels)]
    return CrossValScores(scores)
