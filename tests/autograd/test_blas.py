"""minidl.blas: NumPy's own BLAS called directly (gemm with β = 1)."""
import numpy
import pytest

from minidl import blas
from tests.autograd.test_backend import _blas_in_numpy_build


def _gemm_calls(monkeypatch):
    """A list that records (m, n, k) of every BLAS gemm call made through minidl.blas."""
    calls = []
    for dtype, gemm in list(blas.GEMM.items()):
        def spy(*args, gemm=gemm):
            calls.append(args[3:6])
            gemm(*args)
        monkeypatch.setitem(blas.GEMM, dtype, spy)
    return calls


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('a_transposed, b_transposed', [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_add_into_a_window_of_a_larger_array(dtype, a_transposed, b_transposed, monkeypatch):
    """c += a @ b with c a window into a larger array (rows 11 apart, starting at column 2)
    and a, b plain or transposed views: one gemm when NumPy's BLAS is found, the formula's
    values to rounding, and nothing outside the window touched."""
    if _blas_in_numpy_build():
        assert numpy.dtype(dtype) in blas.GEMM
    calls = _gemm_calls(monkeypatch)
    rng = numpy.random.default_rng(0)
    m, k, n = 4, 3, 5
    a = rng.normal(size=(k, m)).T if a_transposed else rng.normal(size=(m, k))
    b = rng.normal(size=(n, k)).T if b_transposed else rng.normal(size=(k, n))
    a, b = a.astype(dtype), b.astype(dtype)
    big = rng.normal(size=(m, 11)).astype(dtype)
    expected = big.copy()
    expected[:, 2:2 + n] += a @ b
    blas.matmul_add_(big[:, 2:2 + n], a, b)
    eps = numpy.finfo(dtype).eps
    numpy.testing.assert_allclose(big, expected, rtol=8 * eps, atol=8 * k * eps)
    numpy.testing.assert_array_equal(big[:, :2], expected[:, :2])
    numpy.testing.assert_array_equal(big[:, 2 + n:], expected[:, 2 + n:])
    assert calls == ([(m, n, k)] if numpy.dtype(dtype) in blas.GEMM else [])


def test_matmul_add_takes_the_formula_where_blas_cannot():
    """Integers, mixed dtypes, c overlapping b, and a c that is not stored row by row get
    c += a @ b (no gemm can write them safely); mismatched shapes get NumPy's own error."""
    rng = numpy.random.default_rng(1)
    a, b = rng.integers(0, 5, size=(3, 2)), rng.integers(0, 5, size=(2, 4))
    c = numpy.ones((3, 4), dtype=numpy.int64)
    blas.matmul_add_(c, a, b)
    numpy.testing.assert_array_equal(c, 1 + a @ b)

    a, b = rng.normal(size=(3, 2)), rng.normal(size=(2, 4)).astype(numpy.float32)
    c = numpy.zeros((3, 4))
    blas.matmul_add_(c, a, b)
    numpy.testing.assert_allclose(c, a @ b, rtol=1e-6)

    buffer = rng.normal(size=(3, 6))                    # c = buffer[:, 2:], b = buffer[:2, :4]
    expected = buffer.copy()
    a = rng.normal(size=(3, 2))
    expected[:, 2:] += a @ buffer[:2, :4]
    blas.matmul_add_(buffer[:, 2:], a, buffer[:2, :4])
    numpy.testing.assert_allclose(buffer, expected, rtol=1e-13)

    c = numpy.zeros((4, 3)).T                            # stored column by column
    blas.matmul_add_(c, numpy.eye(3), numpy.arange(12.0).reshape(3, 4))
    numpy.testing.assert_array_equal(c, numpy.arange(12.0).reshape(3, 4))

    with pytest.raises(ValueError, match='matmul'):
        blas.matmul_add_(numpy.zeros((3, 4)), numpy.ones((3, 2)), numpy.ones((3, 4)))
