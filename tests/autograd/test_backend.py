import subprocess
import sys

import numpy
import pytest

import minidl
from minidl import backend, blas

needs_no_gpu = pytest.mark.skipif(backend.cuda_is_available(), reason='this machine has a usable GPU')


def test_get_array_module_is_numpy_for_numpy_arrays():
    assert backend.get_array_module(numpy.ones(2), 3.0) is numpy


@needs_no_gpu
def test_asking_for_cuda_without_cupy_or_gpu_says_what_to_do():
    with pytest.raises(RuntimeError, match=r"device 'cuda' (needs CuPy|asked for)"):
        minidl.set_device('cuda')
    assert minidl.get_device() == 'cpu'


def test_unknown_device_is_rejected():
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        minidl.set_device('gpu')


def test_import_works_without_cupy_and_reads_env_var():
    code = ("import sys, minidl; assert 'cupy' not in sys.modules; print(minidl.get_device())")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         env={'MINIDL_DEVICE': 'cpu', 'PATH': ''}, check=True)
    assert out.stdout.strip() == 'cpu'


def test_manual_seed_makes_every_random_function_repeat():
    def draw():
        return (backend.uniform((3,)), backend.normal((3,)), backend.integers(0, 10, (3,)),
                backend.permutation(5))
    minidl.manual_seed(3)
    first = draw()
    minidl.manual_seed(3)
    for a, b in zip(first, draw()):
        assert numpy.array_equal(a, b)
    assert first[0].dtype == numpy.float32 and first[2].dtype == numpy.int64


def test_rng_state_round_trip():
    """The state of every device's generator comes back; the draws after it repeat (on the
    device under test)."""
    backend.normal((4,))
    state = backend.get_rng_state()
    a, b = backend.normal((4,)), backend.uniform((3,))
    assert backend.get_rng_state() != state
    backend.set_rng_state(state)
    assert backend.get_rng_state() == state
    assert (backend.to_numpy(a) == backend.to_numpy(backend.normal((4,)))).all()
    assert (backend.to_numpy(b) == backend.to_numpy(backend.uniform((3,)))).all()


def test_the_gpu_generator_state_is_seed_and_count_of_draws():
    minidl.manual_seed(5)
    assert backend.get_rng_state()['cuda'] == {'seed': 5, 'draws': 0}
    backend.set_rng_state(dict(backend.get_rng_state(), cuda={'seed': 5, 'draws': 7}))
    assert backend.get_rng_state()['cuda'] == {'seed': 5, 'draws': 7}
    keys = {backend.CountedGenerator(seed, draws).next_key() for seed in (5, 6) for draws in range(50)}
    assert len(keys) == 100 and all(0 <= key < 2 ** 64 for key in keys)   # one key per (seed, draw)
    with pytest.raises(ValueError, match=r"set_rng_state: expected the dict of get_rng_state\(\) with keys"):
        backend.set_rng_state(backend.get_rng_state()['cpu'])          # the CPU generator's state alone


def test_default_dtype():
    minidl.set_default_dtype(minidl.float64)
    assert minidl.tensor([1.0]).dtype == numpy.float64 and minidl.zeros(1).dtype == numpy.float64
    with pytest.raises(TypeError, match='floating dtype'):
        minidl.set_default_dtype(numpy.int32)


def test_cli_version_and_help():
    out = subprocess.run([sys.executable, '-m', 'minidl', '--version'], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith('minidl ')
    out = subprocess.run([sys.executable, '-m', 'minidl', '--help'], capture_output=True, text=True)
    assert out.returncode == 0 and 'usage: minidl' in out.stdout


def test_keep_freed_memory_reports_whether_it_applied():
    applied = backend.keep_freed_memory()
    assert isinstance(applied, bool)
    if sys.platform.startswith('linux'):
        import platform
        assert applied or platform.libc_ver()[0] != 'glibc'


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_add_scaled_updates_in_place(dtype):
    """y ← y + α·x in the array itself (a strided view included), equal to the plain formula
    y + α·x computed on the host; on CuPy this runs the fused kernel."""
    xp = backend.xp_for()
    rng = numpy.random.default_rng(0)
    y0, x0 = rng.normal(size=(2, 4, 3)).astype(dtype), rng.normal(size=(2, 4, 3)).astype(dtype)
    y, x = xp.array(y0), xp.array(x0)                   # copies: y0 stays as it was
    view = y[:, ::2]                                    # a non-contiguous part of y
    backend.add_scaled_(view, -0.3, x[:, ::2])
    expected = y0.copy()
    expected[:, ::2] += numpy.asarray(-0.3, dtype=dtype) * x0[:, ::2]
    # (a GPU may fuse the multiply and the add into one rounding step: equal to within one ulp)
    numpy.testing.assert_allclose(backend.to_numpy(y), expected, rtol=2 * numpy.finfo(dtype).eps,
                               atol=4 * numpy.finfo(dtype).eps)
    assert y.dtype == dtype


def _blas_in_numpy_build():
    """True if NumPy's build config names OpenBLAS (its wheels do): axpy must be found then."""
    try:
        config = numpy.show_config(mode='dicts')
    except TypeError:                                   # NumPy < 1.26 has no mode='dicts'
        return False
    return 'openblas' in str(config.get('Build Dependencies', {}).get('blas', {})).lower()


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_add_scaled_through_numpys_blas_matches_the_formula(dtype):
    """Arrays above the size threshold go through the BLAS axpy NumPy links (when found):
    the same values as y + α·x to within one rounding (BLAS may fuse multiply and add)."""
    if _blas_in_numpy_build():
        assert numpy.dtype(dtype) in blas.AXPY
    rng = numpy.random.default_rng(1)
    shape = (2, blas.AXPY_MIN_SIZE)
    y, x = rng.normal(size=shape).astype(dtype), rng.normal(size=shape).astype(dtype)
    expected = y + numpy.asarray(0.7, dtype=dtype) * x
    backend.add_scaled_(y, 0.7, x)
    eps = numpy.finfo(dtype).eps
    numpy.testing.assert_allclose(y, expected, rtol=2 * eps, atol=4 * eps)


def test_add_scaled_with_overlapping_operands_reads_x_before_writing_y():
    """y and x overlapping (y[1:] += α·y[:-1]): the answer of the plain formula, which reads
    all of x first; an axpy running along the memory would feed its own writes back."""
    base = numpy.arange(3 * blas.AXPY_MIN_SIZE, dtype=numpy.float32)
    expected = base.copy()
    expected[1:] += numpy.float32(0.5) * base[:-1]
    backend.add_scaled_(base[1:], 0.5, base[:-1])
    numpy.testing.assert_array_equal(base, expected)


def test_add_scaled_by_zero_still_propagates_nan_like_the_formula():
    """α = 0: y + 0·x is NaN where x is inf or NaN (BLAS's axpy would skip the update)."""
    x = numpy.zeros(2 * blas.AXPY_MIN_SIZE, dtype=numpy.float32)
    x[[0, 5]] = numpy.inf, numpy.nan
    y = numpy.ones_like(x)
    with numpy.errstate(invalid='ignore'):
        backend.add_scaled_(y, 0.0, x)
    assert numpy.isnan(y[[0, 5]]).all() and (y[1:5] == 1).all()
