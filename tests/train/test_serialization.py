"""minidl.save / minidl.load: round trips, no pickle, atomic writes, clear errors."""
import io
import json
import os
import re

import numpy as np
import pytest

import minidl
from minidl.serialization import CheckpointError


def test_round_trip_keeps_structure_types_and_values(tmp_path):
    state = {'w': np.arange(6, dtype=np.float32).reshape(2, 3), 'step': 7, 'lr': 0.1,
             'betas': (0.9, 0.999), 'names': ['a', 'b'], 'flag': True, 'none': None,
             'ints': {0: {'m': np.ones(2)}, 1: {}}, 'scalar': np.float32(2.5), 'zero_d': np.array(3),
             'nan': float('nan'), 'big': 2 ** 100, 'tensor': minidl.tensor([1.0, 2.0]),
             '__dunder': 1}
    path = tmp_path / 'state.npz'
    minidl.save(state, path)
    back = minidl.load(path)
    assert back['w'].dtype == np.float32 and np.array_equal(back['w'], state['w'])
    assert back['step'] == 7 and back['lr'] == 0.1 and back['betas'] == (0.9, 0.999)
    assert back['names'] == ['a', 'b'] and back['flag'] is True and back['none'] is None
    assert set(back['ints']) == {0, 1} and np.array_equal(back['ints'][0]['m'], np.ones(2))
    assert type(back['scalar']) is np.float32 and back['scalar'] == 2.5
    assert back['zero_d'].shape == () and back['zero_d'] == 3
    assert np.isnan(back['nan']) and back['big'] == 2 ** 100 and back['__dunder'] == 1
    assert isinstance(back['tensor'], minidl.Tensor) and back['tensor'].tolist() == [1.0, 2.0]


def test_file_is_a_plain_npz_without_pickle(tmp_path):
    path = tmp_path / 's.npz'
    minidl.save({'x': np.ones(3)}, path)
    with np.load(path, allow_pickle=False) as archive:
        assert {'a0', '__minidl__'} <= set(archive.files)
    with pytest.raises(TypeError, match='cannot store'):
        minidl.save({'x': object()}, tmp_path / 'bad.npz')
    with pytest.raises(TypeError, match='dtype'):
        minidl.save({'x': np.array(['a'], dtype=object)}, tmp_path / 'bad.npz')


@pytest.mark.parametrize('damage', ['truncate', 'garbage', 'foreign_npz', 'empty'])
def test_damaged_or_foreign_files_raise_a_clear_error(tmp_path, damage):
    path = tmp_path / 's.npz'
    minidl.save({'x': np.arange(1000.0)}, path)
    data = path.read_bytes()
    if damage == 'truncate':
        path.write_bytes(data[:len(data) // 2])
    elif damage == 'garbage':
        path.write_bytes(b'not a checkpoint at all' * 10)
    elif damage == 'empty':
        path.write_bytes(b'')
    else:
        np.savez(path, x=np.ones(2))
    with pytest.raises(CheckpointError, match='minidl.load'):
        minidl.load(path)
    with pytest.raises(FileNotFoundError):
        minidl.load(tmp_path / 'missing.npz')


def _write_description(path, description, **arrays):
    """A hand-built archive: ``description`` as the JSON of the '__minidl__' entry."""
    meta = np.frombuffer(json.dumps(description).encode('utf-8'), dtype=np.uint8)
    np.savez(path, __minidl__=meta, **arrays)


def _description(tree):
    return {'format': 'minidl-state', 'version': 1, 'tree': tree}


def _npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


FOREIGN = {
    'npy': (lambda path: path.write_bytes(_npy_bytes(np.ones(3))), 'holds a single array'),
    'json_list': (lambda path: _write_description(path, [1, 2]), "entry holds a JSON list"),
    'no_tree': (lambda path: _write_description(path, {'format': 'minidl-state', 'version': 1}), "has no 'tree'"),
    'tuple_of_int': (lambda path: _write_description(path, _description({'__tuple__': 5})), 'does not decode'),
    'unknown_array': (lambda path: _write_description(path, _description({'__array__': 'a9'})), 'does not decode'),
    'unhashable_key': (lambda path: _write_description(
        path, _description({'__items__': [[{'__tuple__': [[1]]}, 1]]})), 'does not decode'),
    'items_not_pairs': (lambda path: _write_description(path, _description({'__items__': [[1]]})), 'does not decode'),
}


@pytest.mark.parametrize('kind', list(FOREIGN))
def test_files_not_written_by_save_raise_a_checkpoint_error_naming_the_file(tmp_path, kind):
    write, reason = FOREIGN[kind]
    path = tmp_path / 'state.npz'                # a .npy under a .npz name, too
    write(path)
    with pytest.raises(CheckpointError, match=re.escape(f'minidl.load: {path}') + '.*' + reason):
        minidl.load(path)


def test_failed_write_leaves_previous_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / 's.npz'
    minidl.save({'x': np.zeros(3)}, path)

    def write_half_then_die(file, **arrays):
        file.write(b'PK\x03\x04' + b'\0' * 100)              # a zip that never gets finished
        raise OSError('disk full (simulated)')
    monkeypatch.setattr(np, 'savez', write_half_then_die)
    with pytest.raises(OSError, match='simulated'):
        minidl.save({'x': np.ones(3)}, path)
    monkeypatch.undo()
    assert np.array_equal(minidl.load(path)['x'], np.zeros(3))
    assert os.listdir(tmp_path) == ['s.npz']
