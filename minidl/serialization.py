"""``minidl.save`` / ``minidl.load``: nested dicts of arrays and plain values in one ``.npz``.

The file is an ordinary NumPy ``.npz`` archive (readable with ``numpy.load``, no pickle):

- every array (NumPy, CuPy, or a Tensor's data) is stored as its own entry ``a0``, ``a1``, ...
  (CuPy arrays are copied to the CPU first);
- the structure around them (dicts, lists, tuples, numbers, strings, booleans, None) is
  stored as JSON, UTF-8 encoded, in the entry ``__minidl__``. An array is written there as
  ``{"__array__": "a3"}``; dicts whose keys are not all strings, tuples, Tensors and NumPy
  scalars get similar tagged forms so that they come back with the same types.

Writing is atomic: the archive goes to a temporary file in the same directory, is flushed
and fsync'ed, then renamed over ``path`` (``os.replace``). A crash mid-write leaves the old
file untouched. A file that is truncated, corrupt, or not written by :func:`save` raises a
:class:`CheckpointError` that says so.

Example:
    >>> import os, tempfile, numpy as np, minidl
    >>> path = os.path.join(tempfile.mkdtemp(), 'state.npz')
    >>> minidl.save({'w': np.arange(3.0), 'step': 7, 'betas': (0.9, 0.999), 0: None}, path)
    >>> state = minidl.load(path)
    >>> state['w'], state['step'], state['betas'], state[0]
    (array([0., 1., 2.]), 7, (0.9, 0.999), None)
"""
import io
import json
import os
import tempfile
import zipfile

import numpy

from . import backend
from .autograd.tensor import Tensor

FORMAT = 'minidl-state'
VERSION = 1
META_KEY = '__minidl__'


class CheckpointError(ValueError):
    """A file that cannot be read back as a minidl state (truncated, corrupt, wrong format)."""


# ----------------------------------------------------------------------------- encoding
def _encode(value, arrays):
    """``value`` as JSON-able data; arrays are moved into ``arrays`` and referenced by name."""
    if isinstance(value, Tensor):
        return {'__tensor__': _encode(value.data, arrays)['__array__']}
    if isinstance(value, numpy.generic) and not isinstance(value, (numpy.str_, numpy.bytes_)):
        return {'__scalar__': _encode(numpy.asarray(value), arrays)['__array__']}
    if hasattr(value, 'shape') and hasattr(value, 'dtype'):          # numpy or cupy array
        array = backend.to_numpy(value)
        if array.dtype.kind not in 'biufc':
            raise TypeError(f"minidl.save: cannot store an array of dtype {array.dtype} "
                            f"without pickle; use numbers or booleans")
        name = f'a{len(arrays)}'
        arrays[name] = array
        return {'__array__': name}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return {'__tuple__': [_encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return [_encode(v, arrays) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith('__') for k in value):
            return {k: _encode(v, arrays) for k, v in value.items()}
        return {'__items__': [[_encode(k, arrays), _encode(v, arrays)] for k, v in value.items()]}
    raise TypeError(f"minidl.save: cannot store a value of type {type(value).__name__} "
                    f"(allowed: dict, list, tuple, str, int, float, bool, None, arrays, Tensors)")


def _decode(data, archive):
    if isinstance(data, list):
        return [_decode(v, archive) for v in data]
    if not isinstance(data, dict):
        return data
    if '__array__' in data:
        return archive[data['__array__']]
    if '__tensor__' in data:
        return Tensor(archive[data['__tensor__']])
    if '__scalar__' in data:
        return archive[data['__scalar__']][()]
    if '__tuple__' in data:
        return tuple(_decode(v, archive) for v in data['__tuple__'])
    if '__items__' in data:
        return {_hashable(_decode(k, archive)): _decode(v, archive) for k, v in data['__items__']}
    return {k: _decode(v, archive) for k, v in data.items()}


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


# ----------------------------------------------------------------------------- files
def save(state, path):
    """Write ``state`` (nested dicts/lists/tuples of arrays, Tensors and plain values) to
    ``path`` atomically, as a ``.npz`` archive with a JSON description (no pickle).

    The file name is used as given (no ``.npz`` is appended).
    """
    arrays = {}
    meta = {'format': FORMAT, 'version': VERSION, 'tree': _encode(state, arrays)}
    arrays[META_KEY] = numpy.frombuffer(json.dumps(meta).encode('utf-8'), dtype=numpy.uint8)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f'.{os.path.basename(path)}.', suffix='.tmp')
    try:
        os.chmod(tmp, 0o666 & ~_umask())                 # mkstemp makes it private (0600)
        with os.fdopen(fd, 'wb') as f:
            numpy.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_directory(directory)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(path):
    """Read a state written by :func:`save`. Arrays come back as NumPy arrays (on the CPU).

    Raises FileNotFoundError for a missing file and :class:`CheckpointError`, naming the
    file and what is wrong with it, for anything that is not a state :func:`save` wrote:
    a truncated or corrupt file, a ``numpy.save`` array (``.npy``), a ``.npz`` archive
    without minidl's description, or a description that does not decode.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"minidl.load: no such file: {path}")
    try:
        tree, arrays = _read_archive(path)
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, UnicodeDecodeError) as error:
        raise CheckpointError(f"minidl.load: cannot read {path}: the file is truncated, corrupt, "
                              f"or not a minidl state ({type(error).__name__}: {error})") from None
    try:
        return _decode(tree, arrays)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        # a tag holding the wrong kind of value ({"__tuple__": 5}), an array name the archive
        # lacks, an unhashable key: the JSON is valid but was not written by save()
        raise CheckpointError(f"minidl.load: {path} is not a minidl state: its '{META_KEY}' description "
                              f"does not decode ({type(error).__name__}: {error})") from None


def _read_archive(path):
    """The description tree and the arrays of the minidl archive at ``path``."""
    with open(path, 'rb') as f:
        raw = f.read()
    archive = numpy.load(io.BytesIO(raw), allow_pickle=False)
    if not isinstance(archive, numpy.lib.npyio.NpzFile):
        raise CheckpointError(f"minidl.load: {path} holds a single array (a .npy file, as numpy.save "
                              f"writes), not a minidl state (a .npz archive written by minidl.save)")
    with archive:
        if META_KEY not in archive.files:
            raise CheckpointError(f"minidl.load: {path} is a .npz archive but not a minidl "
                                  f"state (no '{META_KEY}' entry); was it written by minidl.save?")
        meta = json.loads(archive[META_KEY].tobytes().decode('utf-8'))
        _check_meta(meta, path)
        arrays = {name: archive[name] for name in archive.files if name != META_KEY}
    return meta['tree'], arrays


def _check_meta(meta, path):
    """Raise a CheckpointError unless ``meta`` is the description save() writes."""
    if not isinstance(meta, dict):
        raise CheckpointError(f"minidl.load: {path} is not a minidl state: its '{META_KEY}' entry "
                              f"holds a JSON {type(meta).__name__}, expected an object with "
                              f"'format', 'version' and 'tree'")
    if meta.get('format') != FORMAT or meta.get('version') != VERSION:
        raise CheckpointError(f"minidl.load: {path} has format {meta.get('format')!r} version "
                              f"{meta.get('version')!r}; expected {FORMAT!r} version {VERSION}")
    if 'tree' not in meta:
        raise CheckpointError(f"minidl.load: {path} is not a minidl state: its '{META_KEY}' entry "
                              f"has no 'tree'")
