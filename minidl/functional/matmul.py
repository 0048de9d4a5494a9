"""Matrix product with NumPy's rules: 1-D operands and batch broadcasting.

For matrices, y = a @ b means y_ij = Σ_k a_ik b_kj, so

    dL/da_ik = Σ_j dL/dy_ij b_kj   ->   dL/da = dL/dy @ bᵀ
    dL/db_kj = Σ_i a_ik dL/dy_ij   ->   dL/db = aᵀ @ dL/dy

A 1-D ``a`` acts as a row (1, n) and a 1-D ``b`` as a column (n, 1), whose extra axis is
dropped from the result; leading (batch) axes broadcast, so their gradients are summed back.
The operands must share a dtype, as in PyTorch: no promotion happens inside a product.
"""
from ..autograd.function import Function
from ._util import broadcast_shape, require_one_dtype
from .reduction import sum_to_shape


class MatMul(Function):
    """y = a @ b;   dL/da = dL/dy @ bᵀ,  dL/db = aᵀ @ dL/dy  (see the module docstring)."""

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: both operands need at least one dimension, got shapes {a.shape} "
                             f"and {b.shape}")
        require_one_dtype('matmul', a, b)
        inner_a = a.shape[-1]
        inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if inner_a != inner_b:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit: the inner dimensions "
                             f"{inner_a} and {inner_b} differ")
        if a.ndim > 2 or b.ndim > 2:
            broadcast_shape(a.shape[:-2], b.shape[:-2] if b.ndim > 1 else (), op=f"matmul (batch dims of "
                            f"{a.shape} and {b.shape})")
        self.save_for_backward(a, b)
        return a @ b

    def backward(self, gy):
        a, b = self.saved_tensors
        a2 = a.reshape(1, -1) if a.ndim == 1 else a        # a row
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b        # a column
        batch = broadcast_shape(a2.shape[:-2], b2.shape[:-2])
        shape = batch + (a2.shape[-2], b2.shape[-1])
        gy2 = gy if gy.shape == shape else gy.reshape(shape)
        ga = gb = None
        if self.needs_input_grad[0]:
            # BEGIN SOLUTION
            ga = sum_to_shape(gy2 @ b2.transpose(-1, -2), a2.shape)
            # END SOLUTION
            ga = ga.reshape(a.shape) if a.ndim == 1 else ga
        if self.needs_input_grad[1]:
            # BEGIN SOLUTION
            gb = sum_to_shape(a2.transpose(-1, -2) @ gy2, b2.shape)
            # END SOLUTION
            gb = gb.reshape(b.shape) if b.ndim == 1 else gb
        return ga, gb


def matmul(a, b):
    """Matrix product ``a @ b`` (1-D and batched operands as in NumPy)."""
    return MatMul()(a, b)
