"""Dataset, Subset, random_split and DataLoader: every sample once per epoch, lengths, seeds."""
import numpy
import pytest

import minidl
from minidl.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split


def _dataset(n=23):
    return TensorDataset(numpy.arange(n * 2, dtype=numpy.float32).reshape(n, 2), numpy.arange(n))


@pytest.mark.parametrize('shuffle', [False, True])
@pytest.mark.parametrize('drop_last', [False, True])
@pytest.mark.parametrize('batch_size', [1, 5, 23, 30])
def test_epoch_yields_every_sample_once(shuffle, drop_last, batch_size):
    n = 23
    loader = DataLoader(_dataset(n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, seed=3)
    expected_len = n // batch_size if drop_last else -(-n // batch_size)
    assert len(loader) == expected_len
    batches = list(loader)
    assert len(batches) == expected_len
    seen = numpy.concatenate([y.numpy() for _, y in batches]) if batches else numpy.array([], int)
    assert len(set(seen.tolist())) == len(seen)               # no repeats
    if not drop_last:
        assert sorted(seen.tolist()) == list(range(n))
    else:
        assert len(seen) == expected_len * batch_size
    for x, y in batches:                                       # inputs stay paired with labels
        numpy.testing.assert_array_equal(x.numpy()[:, 0], 2 * y.numpy())
        assert isinstance(x, minidl.Tensor) and x.device == minidl.get_device()
    if not shuffle:
        assert seen.tolist() == list(range(len(seen)))


def test_reshuffles_each_epoch_reproducibly():
    def epochs(seed):
        loader = DataLoader(_dataset(), batch_size=4, shuffle=True, seed=seed)
        return [numpy.concatenate([y.numpy() for _, y in loader]).tolist() for _ in range(3)]
    first = epochs(7)
    assert first[0] != first[1] != first[2]
    minidl.manual_seed(99)                                     # the global generator is irrelevant
    assert epochs(7) == first
    assert epochs(8) != first


def test_seed_none_follows_manual_seed():
    def epoch():
        return [int(v) for _, y in DataLoader(_dataset(), batch_size=5, shuffle=True) for v in y.numpy()]
    minidl.manual_seed(5)
    a = epoch()
    minidl.manual_seed(5)
    assert epoch() == a


def test_gather_is_one_fancy_index_not_a_loop():
    class Counting(TensorDataset):
        calls = 0

        def __getitem__(self, index):
            Counting.calls += 1
            return super().__getitem__(index)
    ds = Counting(numpy.zeros((10, 3)), numpy.arange(10))
    list(DataLoader(Subset(ds, numpy.arange(9, -1, -1)), batch_size=4))
    assert Counting.calls == 0


def test_subset_gather_maps_indices():
    sub = Subset(_dataset(), [5, 2, 9])
    x, y = sub.gather(numpy.array([2, 0]))
    assert y.tolist() == [9, 5] and sub[1][1] == 2


def test_generic_dataset_and_collate_fn():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return numpy.array([i * i], dtype=numpy.float32)
    batches = list(DataLoader(Squares(), batch_size=2))
    assert [b.shape for b in batches] == [(2, 1), (2, 1), (1, 1)]
    assert batches[1].numpy().ravel().tolist() == [4.0, 9.0]
    loader = DataLoader(_dataset(6), batch_size=3, collate_fn=lambda s: default_collate(s)[1] * 10)
    assert [b.numpy().tolist() for b in loader] == [[0, 10, 20], [30, 40, 50]]


def test_transform_acts_on_inputs_only():
    plain = list(DataLoader(_dataset(6), batch_size=3))
    zeroed = list(DataLoader(_dataset(6), batch_size=3, transform=lambda x: x * 0))
    for (x, y), (x0, y0) in zip(plain, zeroed):
        assert float(x0.numpy().sum()) == 0 and float(x.numpy().sum()) > 0
        numpy.testing.assert_array_equal(y.numpy(), y0.numpy())


def test_random_split_lengths_and_fractions():
    ds = _dataset(10)
    parts = random_split(ds, [0.5, 0.3, 0.2], seed=0)
    assert [len(p) for p in parts] == [5, 3, 2]
    assert sorted(numpy.concatenate([p.indices for p in parts]).tolist()) == list(range(10))
    assert [len(p) for p in random_split(ds, [0.34, 0.33, 0.33], seed=0)] == [4, 3, 3]
    again = random_split(ds, [0.5, 0.3, 0.2], seed=0)
    assert all((a.indices == b.indices).all() for a, b in zip(parts, again))
    with pytest.raises(ValueError, match='sum to'):
        random_split(ds, [5, 6])


def test_errors():
    with pytest.raises(ValueError, match='same length'):
        TensorDataset(numpy.zeros(3), numpy.zeros(4))
    for bad in (0, -1, 2.5, True, '3', None):           # 2.5 used to become 2, True 1, '3' 3
        with pytest.raises(ValueError, match='DataLoader: batch_size must be a positive integer'):
            DataLoader(_dataset(), batch_size=bad)
    assert len(DataLoader(_dataset(6), batch_size=numpy.int64(4))) == 2


def test_a_list_of_samples_is_a_dataset_and_a_subset_of_one_too():
    samples = [(numpy.full(2, float(i)), i) for i in range(5)]
    x, y = next(iter(DataLoader(samples, batch_size=3)))
    assert x.shape == (3, 2) and y.tolist() == [0, 1, 2]
    x, y = next(iter(DataLoader(Subset(samples, [4, 0]), batch_size=2)))
    assert x.tolist() == [[4.0, 4.0], [0.0, 0.0]] and y.tolist() == [4, 0]


def test_dict_samples_are_collated_key_by_key_and_strings_stay_strings():
    samples = [{'image': numpy.full(2, float(i)), 'label': i, 'name': f"n{i}"} for i in range(4)]
    batch = next(iter(DataLoader(samples, batch_size=3)))
    assert sorted(batch) == ['image', 'label', 'name']
    assert batch['image'].shape == (3, 2) and batch['label'].tolist() == [0, 1, 2]
    assert batch['name'] == ['n0', 'n1', 'n2']
    with pytest.raises(TypeError, match='DataLoader: transform acts on the first field of a tuple'):
        next(iter(DataLoader(samples, batch_size=3, transform=lambda x: x)))


def test_subset_takes_a_list_of_indices():
    sub = Subset(TensorDataset(numpy.arange(10) * 10), [9, 0, 4])
    values, = sub[[0, 2]]
    assert values.tolist() == [90, 40]
