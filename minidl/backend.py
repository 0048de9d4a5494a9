"""The array backend: NumPy on the CPU, CuPy on the GPU, chosen at run time.

Everything in minidl computes on an "xp" module, the name for whichever of ``numpy`` or
``cupy`` holds the arrays at hand. CuPy mirrors NumPy's API, so one piece of code serves
both devices::

    xp = get_array_module(x)     # numpy for a NumPy array, cupy for a CuPy one
    y = xp.exp(x)

CuPy is imported lazily, the first time the GPU is asked for, so minidl imports and runs
without it. The current device (``'cpu'`` or ``'cuda'``) decides where new tensors are
created; it starts as the ``MINIDL_DEVICE`` environment variable says (default ``'cpu'``).

Randomness goes through one generator per device, seeded together by
:func:`manual_seed`, so a run with a fixed seed repeats bit for bit on NumPy.

Memory: every op allocates a fresh result array. glibc's malloc gives arrays above a size
threshold their own pages from the OS and returns them on free, so a training step would
page-fault its way through the same memory again and again (it halves the speed of a small
CNN step). On import, minidl asks glibc to keep freed memory for reuse instead
(:func:`keep_freed_memory`; set ``MINIDL_KEEP_FREED_MEMORY=0`` to leave malloc alone).

Example:
    >>> import minidl
    >>> minidl.get_device()
    'cpu'
    >>> minidl.manual_seed(0)
    >>> a = minidl.backend.uniform((2,)); minidl.manual_seed(0)
    >>> bool((a == minidl.backend.uniform((2,))).all())
    True
"""
import importlib
import os

import numpy

from . import blas

DEVICES = ('cpu', 'cuda')

_cupy = None                                        # the cupy module, once imported
_device = None                                      # the current device, once read
_default_dtype = numpy.dtype(numpy.float32)
_generators = {}                                    # device -> random generator


# ----------------------------------------------------------------------------- devices
def _import_cupy():
    """Import CuPy and check that a GPU is visible; raise a clear error if not."""
    global _cupy
    if _cupy is not None:
        return _cupy
    try:
        import cupy
    except ImportError as error:
        raise RuntimeError(
            "minidl: device 'cuda' needs CuPy, which is not installed. Install the wheel "
            "that matches your CUDA version, e.g. `pip install cupy-cuda13x` (CUDA 13) or "
            "`pip install cupy-cuda12x` (CUDA 12); `nvidia-smi` shows the CUDA version. "
            f"(import error: {error})") from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:                      # CUDA driver missing or broken
        raise RuntimeError(
            f"minidl: device 'cuda' asked for, CuPy is installed but no usable GPU was found "
            f"({type(error).__name__}: {error}). Check the NVIDIA driver with `nvidia-smi`.") from None
    if count == 0:
        raise RuntimeError("minidl: device 'cuda' asked for, but CuPy sees no GPU.")
    _cupy = cupy
    return cupy


def _check_device(device):
    if device not in DEVICES:
        raise ValueError(f"minidl: unknown device {device!r}; expected one of {DEVICES}")
    return device


def get_device():
    """The current device, ``'cpu'`` or ``'cuda'``: where new tensors are created."""
    global _device
    if _device is None:
        name = os.environ.get('MINIDL_DEVICE', 'cpu').strip().lower() or 'cpu'
        set_device(name)
    return _device


def set_device(device):
    """Make ``device`` (``'cpu'`` or ``'cuda'``) the current device.

    Asking for ``'cuda'`` imports CuPy and checks that a GPU is present; without either it
    raises a RuntimeError that says what is missing and how to install it.
    """
    global _device
    _check_device(device)
    if device == 'cuda':
        _import_cupy()
    _device = device


def cuda_is_available():
    """True when CuPy is installed and sees at least one GPU (never raises)."""
    try:
        _import_cupy()
        return True
    except RuntimeError:
        return False


def xp_for(device=None):
    """The array module (numpy or cupy) of ``device`` (default: the current device)."""
    device = _check_device(device or get_device())
    return numpy if device == 'cpu' else _import_cupy()


def _is_cupy_array(array):
    return type(array).__module__.startswith('cupy')


def get_array_module(*arrays):
    """numpy, or cupy if any of ``arrays`` is a CuPy array. Non-arrays are ignored."""
    for array in arrays:
        if type(array) is not numpy.ndarray and _is_cupy_array(array):
            return _cupy
    return numpy


def as_strided(array, shape, strides):
    """A view of ``array``'s memory with the given shape and strides (in bytes): NumPy's and
    CuPy's ``lib.stride_tricks.as_strided``. Nothing is checked: a wrong stride reads (or
    writes) outside the array, so callers derive the strides from ``array.strides``."""
    stride_tricks = importlib.import_module(get_array_module(array).__name__ + '.lib.stride_tricks')
    return stride_tricks.as_strided(array, shape, strides)


def device_of(array):
    """``'cuda'`` for a CuPy array, ``'cpu'`` otherwise."""
    return 'cuda' if _is_cupy_array(array) else 'cpu'


def to_device(array, device):
    """``array`` moved to ``device`` (a no-op when it is already there)."""
    _check_device(device)
    if device_of(array) == device:
        return array
    if device == 'cpu':
        return to_numpy(array)
    return _import_cupy().asarray(array)


def to_numpy(array):
    """A NumPy array with the contents of ``array`` (copied from the GPU if needed). A read
    back from the GPU first reports any failed deferred check (:func:`check_later`)."""
    values = array.get() if _is_cupy_array(array) else numpy.asarray(array)
    verify_checks()
    return values


# ----------------------------------------------------------------------------- deferred checks
_pending_checks = []        # (host copy of a flag, wait until the copy is done, error to raise)


def check_later(flag, error):
    """Raise ``error()`` if the 0-d array ``flag`` is true: at once on the CPU; on a GPU at the
    next point where the host waits for the device anyway.

    Why: a GPU runs the work the host queues for it, later. To look at a value the device
    computes (is every target a class?), the host must wait until the device has caught up
    with everything queued before it, and a host that waits queues no work meanwhile. So on a
    GPU the flag is copied into page-locked host memory behind the queued work, without
    waiting, and :func:`verify_checks` looks at the copy when the host next waits anyway: at
    the end of ``backward()`` (before any ``.grad`` changes) and at every read back of a
    value (``item()``, ``numpy()``, printing). By then the copy has long arrived. A value
    computed from bad input may exist for that while, on the device; it is never seen on the
    host.
    """
    if not _is_cupy_array(flag):
        if flag:
            raise error()
        return
    cupy = _import_cupy()
    import cupyx
    host = cupyx.empty_pinned(flag.shape, dtype=flag.dtype)
    cupy.asnumpy(flag, out=host, blocking=False)            # queued behind the work that computes flag
    copied = cupy.cuda.Event(disable_timing=True)
    copied.record()
    _pending_checks.append((host, copied.synchronize, error))


def verify_checks():
    """Raise the error of the first deferred check whose flag came back true (see
    :func:`check_later`); the other pending checks are dropped with it."""
    while _pending_checks:
        host, wait, error = _pending_checks.pop(0)
        wait()
        if host.any():
            _pending_checks.clear()
            raise error()


# ----------------------------------------------------------------------------- fused updates
def add_scaled_(y, alpha, x):
    """y ← y + α·x, in place (BLAS's "axpy"); y and x of one shape and dtype, α a number.

    The plain version, ``y += alpha * x``, is two array operations with a temporary α·x in
    between: it reads x, writes the temporary, then reads it back with y, where axpy reads
    x and y once. An optimizer makes this update once per parameter per step, so:

    * on CuPy it is one fused elementwise kernel (on a GPU each operation also costs ~10 µs
      of launch time, however little it computes);
    * on NumPy it calls the axpy of the BLAS that NumPy itself links for ``@``
      (:func:`minidl.blas.axpy_`), for float arrays large enough that the call's own cost
      (~3 µs through ctypes) is worth it; the plain two operations otherwise, and wherever
      that BLAS cannot be found. BLAS may fuse the multiply and the add into one rounding.
    """
    if _is_cupy_array(y):
        _axpy_kernel()(x, y.dtype.type(alpha), y)
    else:
        blas.axpy_(y, alpha, x)


_axpy = None


def _axpy_kernel():
    global _axpy
    if _axpy is None:
        _axpy = _import_cupy().ElementwiseKernel('T x, T alpha', 'T y', 'y += alpha * x', 'minidl_axpy')
    return _axpy


# ----------------------------------------------------------------------------- memory
def keep_freed_memory(mmap_threshold=32 * 2 ** 20, trim_threshold=2 ** 30):
    """Make glibc's malloc reuse freed memory instead of handing it back to the OS.

    Arrays up to ``mmap_threshold`` bytes (32 MiB, glibc's largest allowed value) come from
    the heap instead of fresh pages, and up to ``trim_threshold`` bytes of free heap are kept.
    The plain alternative, a cache of array buffers inside minidl, would do the same by hand.
    Returns True if the settings were applied (False off glibc, e.g. on macOS or Windows).
    """
    try:
        import ctypes
        libc = ctypes.CDLL('libc.so.6')
        m_trim_threshold, m_mmap_threshold = -1, -3          # from glibc's malloc.h
        return bool(libc.mallopt(m_mmap_threshold, int(mmap_threshold)) and
                    libc.mallopt(m_trim_threshold, int(trim_threshold)))
    except (OSError, AttributeError):
        return False


if os.environ.get('MINIDL_KEEP_FREED_MEMORY', '1') != '0':
    keep_freed_memory()


# ----------------------------------------------------------------------------- dtypes
# PyTorch's dtype categories, by NumPy's dtype kind: bool < integer < floating < complex. They
# decide type promotion (``functional._util.promoted``) and which dtypes a tensor may have.
DTYPE_CATEGORY = {'b': 0, 'u': 1, 'i': 1, 'f': 2, 'c': 3}


def get_default_dtype():
    """The floating dtype of tensors built from Python floats (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype):
    """Set the default floating dtype (``float32`` or ``float64``)."""
    global _default_dtype
    dtype = numpy.dtype(dtype)
    if dtype.kind != 'f':
        raise TypeError(f"minidl.set_default_dtype: expected a floating dtype, got {dtype}")
    _default_dtype = dtype


# ----------------------------------------------------------------------------- randomness
def manual_seed(seed):
    """Seed the random generator of every device, so that runs repeat exactly.

    NumPy gets a ``numpy.random.Generator`` (PCG64); the GPU a :class:`CountedGenerator`.
    Every random function of minidl draws from these.
    """
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"minidl.manual_seed: seed must be >= 0, got {seed}")
    _generators['cpu'] = numpy.random.Generator(numpy.random.PCG64(seed))
    _generators['cuda'] = CountedGenerator(seed)
    _generators['seed'] = seed


class CountedGenerator:
    """The GPU's generator, whose whole state is two numbers: a seed and a count of draws.

    Draw k (one call of a random function) comes from a fresh cuRAND Philox4x32-10 generator
    keyed by a hash of (seed, k). Philox is counter-based (Salmon et al., "Parallel random
    numbers: as easy as 1, 2, 3", SC 2011): its numbers are a function of key and position
    alone, so nothing else needs keeping. cuRAND's own generators hold their state on the GPU
    where CuPy cannot read it back; this state fits a checkpoint, and a resumed run on the GPU
    draws what it would have drawn.

    Example:
        >>> g = CountedGenerator(seed=3, draws=5)
        >>> g.next_key() == CountedGenerator(3, 5).next_key() != CountedGenerator(3, 6).next_key()
        True
    """

    def __init__(self, seed=None, draws=0):
        self.seed = numpy.random.SeedSequence().entropy if seed is None else int(seed)
        self.draws = int(draws)

    def next_key(self):
        """The 64-bit Philox key of the next draw: a hash of (seed, draws)."""
        high, low = numpy.random.SeedSequence([self.seed, self.draws]).generate_state(2)
        return int(high) << 32 | int(low)

    def next(self):
        """The ``cupy.random.RandomState`` of the next draw."""
        cupy = _import_cupy()
        key = self.next_key()
        self.draws += 1
        return cupy.random.RandomState(key, method=cupy.cuda.curand.CURAND_RNG_PSEUDO_PHILOX4_32_10)


def _generator(device):
    if device not in _generators:
        seed = _generators.get('seed')
        if device == 'cpu':
            _generators['cpu'] = numpy.random.Generator(numpy.random.PCG64(seed))
        else:
            _generators['cuda'] = CountedGenerator(seed)
    return _generators[device]


def _source(device):
    """What the next draw on ``device`` comes from: the CPU's numpy Generator, or the cupy
    RandomState of the GPU's next draw."""
    generator = _generator(device)
    return generator if device == 'cpu' else generator.next()


def get_rng_state():
    """The state of every device's generator as a JSON-friendly dict (for checkpoints)."""
    cuda = _generator('cuda')
    return {'cpu': _generator('cpu').bit_generator.state, 'cuda': {'seed': cuda.seed, 'draws': cuda.draws}}


def set_rng_state(state):
    """Restore a state returned by :func:`get_rng_state`."""
    if not (isinstance(state, dict) and {'cpu', 'cuda'} <= set(state)):
        raise ValueError(f"minidl.set_rng_state: expected the dict of get_rng_state() with keys 'cpu' "
                         f"and 'cuda', got {type(state).__name__}"
                         + (f" with keys {sorted(state)}" if isinstance(state, dict) else ''))
    cuda = CountedGenerator(state['cuda']['seed'], state['cuda']['draws'])   # checked before any change
    _generator('cpu').bit_generator.state = state['cpu']
    _generators['cuda'] = cuda


def _float_dtype(dtype):
    return numpy.dtype(dtype) if dtype is not None else _default_dtype


def _standard_sample(kind, shape, dtype, device):
    """U[0, 1) (``kind='uniform'``) or N(0, 1) samples from the device's seeded generator.

    The generators draw float32 or float64; a lower precision (float16) is drawn in float64
    and converted. Uniform samples are then truncated to the dtype's precision, to a multiple
    of 2**-11 for float16 (2**-(mantissa bits + 1)), as PyTorch does: rounding them instead
    would turn the draws just below 1 into 1.0.
    """
    device = _check_device(device or get_device())
    dtype = _float_dtype(dtype)
    drawn = dtype if dtype in (numpy.float32, numpy.float64) else numpy.dtype(numpy.float64)
    gen = _source(device)
    if device == 'cpu':
        draw = gen.random if kind == 'uniform' else gen.standard_normal
    else:
        draw = gen.random_sample if kind == 'uniform' else gen.standard_normal
    sample = draw(shape, dtype=drawn)
    if kind == 'uniform' and drawn != dtype:
        scale = 2.0 ** (numpy.finfo(dtype).nmant + 1)
        sample = get_array_module(sample).floor(sample * scale) / scale
    return sample.astype(dtype, copy=False), dtype


def uniform(shape, low=0.0, high=1.0, dtype=None, device=None):
    """Samples of U[low, high) of the given shape, from the device's seeded generator."""
    sample, dtype = _standard_sample('uniform', shape, dtype, device)
    if low != 0.0 or high != 1.0:
        sample = sample * dtype.type(high - low) + dtype.type(low)
    return sample


def normal(shape, mean=0.0, std=1.0, dtype=None, device=None):
    """Samples of N(mean, std²) of the given shape, from the device's seeded generator."""
    sample, dtype = _standard_sample('normal', shape, dtype, device)
    if mean != 0.0 or std != 1.0:
        sample = sample * dtype.type(std) + dtype.type(mean)
    return sample


def integers(low, high, shape, device=None):
    """Uniform int64 samples from [low, high), from the device's seeded generator."""
    device = _check_device(device or get_device())
    gen = _source(device)
    if device == 'cpu':
        return gen.integers(low, high, size=shape, dtype=numpy.int64)
    return gen.randint(low, high, size=shape, dtype=numpy.int64)


def permutation(n, device=None):
    """A random permutation of ``range(n)`` (int64), from the device's seeded generator."""
    device = _check_device(device or get_device())
    return _source(device).permutation(n).astype(numpy.int64, copy=False)
