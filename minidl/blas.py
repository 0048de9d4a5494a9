"""NumPy's own BLAS, called directly for two updates NumPy has no single call for.

NumPy's ``a @ b`` runs on a BLAS library (OpenBLAS, in NumPy's wheels), but only as
"write a @ b into a new array". The BLAS routines behind it do more:

* **axpy**, y ← α·x + y: an update in place that reads x and y once (``y += alpha * x``
  writes a temporary α·x and reads it back);
* **gemm**, C ← α·A·B + β·C: with β = 1 the product is *added* to C, and C may be a window
  into a larger array, rows apart by any stride ("leading dimension"). ``c += a @ b``
  would write the product into a temporary first and then add it.

This module finds those two routines in the library NumPy already links (no new
dependency) and calls them through ``ctypes``: :func:`axpy_` and :func:`matmul_add_`. Each
lookup gives a table {dtype: function}, empty where no BLAS is found (a NumPy built without
one, an unknown naming); there, and wherever BLAS cannot take the operands, both functions
run the plain NumPy formula, which gives the same numbers.
"""
import ctypes

import numpy

# CBLAS's enumerations (C ints): row-major storage, and whether an operand is transposed
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


def _find(routine, signature):
    """{dtype: function} for BLAS ``routine`` ('axpy', 'gemm') in float32 and float64.

    NumPy's wheels bundle OpenBLAS with 64-bit integers and suffixed names
    (``scipy_cblas_sgemm64_`` since NumPy 2.0, ``cblas_sgemm64_`` before); other builds may
    export the plain ``cblas_sgemm`` (32-bit integers). The library is a dependency of
    NumPy's core extension module, so looking the names up through that module's handle
    finds it wherever it lives on disk. ``signature(integer, scalar)`` gives the argument
    types, with the library's integer type and the dtype's C scalar.
    """
    try:
        core = numpy._core if hasattr(numpy, '_core') else numpy.core
        lib = ctypes.CDLL(core._multiarray_umath.__file__)
    except (OSError, AttributeError):
        return {}
    found = {}
    for dtype, letter, scalar in (('float32', 's', ctypes.c_float), ('float64', 'd', ctypes.c_double)):
        for name, integer in ((f'scipy_cblas_{letter}{routine}64_', ctypes.c_int64),
                              (f'cblas_{letter}{routine}64_', ctypes.c_int64),
                              (f'cblas_{letter}{routine}', ctypes.c_int)):
            function = getattr(lib, name, None)
            if function is not None:
                function.argtypes = signature(integer, scalar)
                function.restype = None
                found[numpy.dtype(dtype)] = function
                break
    return found


#: axpy(n, α, x*, incx, y*, incy):  y ← α·x + y
AXPY = _find('axpy', lambda i, s: [i, s, ctypes.c_void_p, i, ctypes.c_void_p, i])
#: gemm(order, trans_a, trans_b, m, n, k, α, A*, lda, B*, ldb, β, C*, ldc):  C ← α·A·B + β·C
GEMM = _find('gemm', lambda i, s: [ctypes.c_int, ctypes.c_int, ctypes.c_int, i, i, i, s, ctypes.c_void_p, i,
                                   ctypes.c_void_p, i, s, ctypes.c_void_p, i])


#: Below this many elements NumPy's two operations are quicker than axpy through ctypes
#: (measured on a 2-core x86 VM: equal near 2^15 elements with warm caches, BLAS ahead
#: earlier after a GEMM).
AXPY_MIN_SIZE = 2 ** 14


def axpy_(y, alpha, x):
    """y += α·x, written into y in place: y and x NumPy arrays of one shape, α a number.

    One BLAS axpy for C-contiguous float arrays of one dtype, of ``AXPY_MIN_SIZE`` elements
    or more, that do not overlap (an axpy running along the memory would read its own
    writes); ``y += alpha * x`` otherwise, and for α = 0 (BLAS returns at once for it, where
    the formula still turns an inf or NaN in x into NaN).
    """
    axpy = AXPY.get(y.dtype) if y.size >= AXPY_MIN_SIZE and alpha != 0 else None
    if (axpy is not None and type(y) is type(x) is numpy.ndarray and x.dtype == y.dtype
            and x.shape == y.shape and y.flags.c_contiguous and x.flags.c_contiguous
            and y.flags.writeable and not numpy.may_share_memory(x, y)):
        axpy(y.size, float(alpha), x.ctypes.data, 1, y.ctypes.data, 1)
    else:
        y += alpha * x


def _layout(x):
    """(transposed?, leading dimension) of a 2-D array as BLAS sees it in row-major terms,
    or None if BLAS cannot read it: one axis must have unit stride, the other a positive
    multiple of the item size at least as long as a row.

    x[r, s] lives at r·ld + s (not transposed) or at r + s·ld (transposed: BLAS reads the
    memory as xᵀ, stored row by row).
    """
    (rows, columns), (row_step, column_step), item = x.shape, x.strides, x.itemsize
    if column_step == item and row_step > 0 and row_step % item == 0 and row_step // item >= columns:
        return False, row_step // item
    if row_step == item and column_step > 0 and column_step % item == 0 and column_step // item >= rows:
        return True, column_step // item
    return None


def matmul_add_(c, a, b):
    """c += a @ b, written into c in place: a (m × k), b (k × n), c (m × n), all 2-D.

    On NumPy arrays of one float dtype this is one BLAS gemm with α = β = 1, which reads c,
    adds the product and writes c back, with no temporary; c may be a window into a larger
    array (its rows any stride apart), and a and b may be transposed views. Anywhere else
    (CuPy, other dtypes or layouts, c sharing memory with a or b, no BLAS found) it is
    ``c += a @ b``.

    Example:
        >>> import numpy
        >>> from minidl.blas import matmul_add_
        >>> c = numpy.ones((2, 2), dtype=numpy.float32)
        >>> matmul_add_(c, numpy.eye(2, dtype=numpy.float32), numpy.full((2, 2), 3, dtype=numpy.float32))
        >>> c
        array([[4., 4.],
               [4., 4.]], dtype=float32)
    """
    layouts = _gemm_layouts(c, a, b)
    if layouts is None:
        c += a @ b
        return
    (_, ldc), (a_t, lda), (b_t, ldb) = layouts
    (m, k), n = a.shape, b.shape[1]
    GEMM[c.dtype](_ROW_MAJOR, _TRANS if a_t else _NO_TRANS, _TRANS if b_t else _NO_TRANS, m, n, k,
                  1.0, a.ctypes.data, lda, b.ctypes.data, ldb, 1.0, c.ctypes.data, ldc)


def _gemm_layouts(c, a, b):
    """The BLAS layouts of c, a and b if one gemm can compute c += a @ b, else None."""
    if not (type(c) is type(a) is type(b) is numpy.ndarray and c.dtype in GEMM
            and a.dtype == b.dtype == c.dtype and a.ndim == b.ndim == c.ndim == 2
            and a.shape[1] == b.shape[0] and c.shape == (a.shape[0], b.shape[1]) and a.size and b.size
            and c.flags.writeable and not numpy.may_share_memory(c, a) and not numpy.may_share_memory(c, b)):
        return None
    layouts = _layout(c), _layout(a), _layout(b)
    if None in layouts or layouts[0][0]:                # c must be stored row by row
        return None
    return layouts
