import numpy as np
import pytest

from minidl.tuning import KFold, StratifiedKFold, cross_val_score


def _check_partition(splits, n):
    val_all = np.concatenate([val for _, val in splits])
    assert sorted(val_all.tolist()) == list(range(n))            # each index validated once
    for train, val in splits:
        assert np.intersect1d(train, val).size == 0
        assert sorted(np.concatenate([train, val]).tolist()) == list(range(n))


@pytest.mark.parametrize('shuffle', [False, True])
def test_kfold_partitions_indices_exactly_once(shuffle):
    splits = list(KFold(4, shuffle=shuffle, seed=0).split(23))
    assert len(splits) == 4
    _check_partition(splits, 23)
    assert sorted(len(val) for _, val in splits) == [5, 6, 6, 6]
    if not shuffle:
        assert splits[0][1].tolist() == list(range(6))


def test_kfold_shuffle_is_seeded():
    a = [v.tolist() for _, v in KFold(3, shuffle=True, seed=1).split(10)]
    b = [v.tolist() for _, v in KFold(3, shuffle=True, seed=1).split(np.zeros((10, 2)))]
    c = [v.tolist() for _, v in KFold(3, shuffle=True, seed=2).split(10)]
    assert a == b and a != c


@pytest.mark.parametrize('shuffle', [False, True])
def test_stratified_kfold_keeps_class_proportions(shuffle):
    y = np.array([0] * 50 + [1] * 30 + [2] * 20)
    np.random.default_rng(0).shuffle(y)
    splits = list(StratifiedKFold(5, shuffle=shuffle, seed=3).split(np.zeros(100), y))
    _check_partition(splits, 100)
    for _, val in splits:
        assert np.bincount(y[val], minlength=3).tolist() == [10, 6, 4]
    y2 = np.array([0] * 7 + [1] * 4)
    for _, val in StratifiedKFold(3).split(y2, y2):
        counts = np.bincount(y2[val], minlength=2)
        assert 2 <= counts[0] <= 3 and 1 <= counts[1] <= 2


def test_errors():
    with pytest.raises(ValueError, match="n_splits"):
        KFold(1)
    with pytest.raises(ValueError, match="cannot make 5 folds of 3 samples"):
        list(KFold(5).split(3))
    with pytest.raises(ValueError, match="needs the labels"):
        list(StratifiedKFold(2).split(10))


def test_cross_val_score_with_arrays():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2))
    y = (X[:, 0] > 0).astype(int)
    seen = []

    def build_and_train(train, val):
        (X_tr, y_tr), (X_val, y_val) = train, val
        seen.append((len(X_tr), len(X_val)))
        assert len(X_tr) == len(y_tr) and len(X_val) == len(y_val)
        return float(np.mean((X_val[:, 0] > 0) == y_val))

    scores = cross_val_score(build_and_train, (X, y), cv=StratifiedKFold(4, shuffle=True, seed=0))
    assert seen == [(30, 10)] * 4
    assert scores.scores.tolist() == [1.0] * 4 and scores.mean == 1.0 and scores.std == 0.0
    assert len(cross_val_score(lambda tr, va: len(va[0]), (X, y), cv=5)) == 5


class IndexableDataset:
    """A dataset whose __getitem__ takes an index array and returns a smaller dataset."""

    def __init__(self, values):
        self.values = np.asarray(values)

    def __len__(self):
        return len(self.values)

    def __getitem__(self, idx):
        return IndexableDataset(self.values[idx])


def test_cross_val_score_with_a_dataset_object():
    data = IndexableDataset(np.arange(12.0))

    def build_and_train(train, val):
        assert isinstance(train, IndexableDataset) and len(train) + len(val) == 12
        return val.values.mean()

    scores = cross_val_score(build_and_train, data, cv=3)
    np.testing.assert_allclose(scores.scores, [1.5, 5.5, 9.5])
    assert scores.mean == pytest.approx(5.5) and scores.std == pytest.approx(np.std([1.5, 5.5, 9.5]))


def test_stratified_folds_refuse_labels_of_another_length():
    # with 8 labels for 20 samples, 12 samples were never validated, silently
    y = np.array([0, 1] * 10)
    with pytest.raises(ValueError, match='20 samples but 8 labels'):
        list(StratifiedKFold(2).split(20, y[:8]))
    with pytest.raises(ValueError, match='20 samples but 8 labels'):
        cross_val_score(lambda train, val: 0.0, (np.zeros((20, 2)), y), cv=StratifiedKFold(2), labels=y[:8])
