"""The affine map of a fully connected layer, y = x Wᵀ + b, as one op.

For x of shape (N, in), W of shape (out, in) and b of shape (out,):

    y_nj = Σ_i x_ni W_ji + b_j

    dL/dx_ni = Σ_j dL/dy_nj W_ji          ->  dL/dx = dL/dy @ W
    dL/dW_ji = Σ_n dL/dy_nj x_ni          ->  dL/dW = dL/dyᵀ @ x      (summed over the batch)
    dL/db_j  = Σ_n dL/dy_nj               ->  dL/db = Σ_n dL/dy

(Leading axes beyond one batch axis are flattened into it.) The same gradients come out of
``x @ W.T + b`` built from MatMul, Permute and Add; one op saves the transposes and
broadcast reductions in between, and gives dL/dW directly in W's own (out, in) layout.
"""
from ..autograd.function import Function
from ..backend import get_array_module
from ._util import require_one_dtype


class Linear(Function):
    """y = x Wᵀ + b;   dL/dx = dL/dy W,  dL/dW = dL/dyᵀ x,  dL/db = Σ_batch dL/dy.

    The formulas use only what arrays and Tensors share, so a plain backward runs them on the
    raw arrays: a step of the MLP makes 3 array calls per layer here, with no Tensor around
    them (``Function.backward_on_arrays``).
    """
    backward_on_arrays = True

    def forward(self, x, weight, bias=None):
        self.save_for_backward(x, weight)
        y = get_array_module(x).matmul(x, weight.T)
        if bias is not None:
            y += bias
        return y

    def backward(self, gy):
        x, weight = self.saved_tensors
        batch_shape = x.shape[:-1]
        if x.ndim != 2:                                    # batch axes flattened into one
            gy, x = gy.reshape(-1, gy.shape[-1]), x.reshape(-1, x.shape[-1])
        gx = gy @ weight if self.needs_input_grad[0] else None
        if gx is not None and len(batch_shape) != 1:
            gx = gx.reshape(batch_shape + (weight.shape[1],))
        gw = gy.T @ x if self.needs_input_grad[1] else None
        gb = gy.sum(0) if len(self.input_shapes) == 3 and self.needs_input_grad[2] else None
        return (gx, gw, gb)[:len(self.input_shapes)]


def linear(x, weight, bias=None):
    """y = x Wᵀ + b (``torch.nn.functional.linear``); x of shape (*, in), W of shape (out, in).

    Example:
        >>> import minidl
        >>> import minidl.functional as F
        >>> F.linear(minidl.tensor([[1.0, 2.0]]), minidl.tensor([[1.0, 1.0], [0.0, 1.0]]),
        ...          minidl.tensor([0.5, 0.0]))
        tensor([[3.5, 2. ]])
    """
    if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {tuple(x.shape)} does not fit a weight of shape "
                         f"{tuple(weight.shape)}: expected (*, {weight.shape[-1]})")
    require_one_dtype('linear', x, weight, 'the input and the weight')
    if bias is not None and tuple(bias.shape) != weight.shape[:1]:
        raise ValueError(f"linear: bias of shape {tuple(bias.shape)} for a weight of shape "
                         f"{tuple(weight.shape)}: expected ({weight.shape[0]},), one per output")
    return Linear()(x, weight) if bias is None else Linear()(x, weight, bias)
