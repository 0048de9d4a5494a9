"""Hand-written NumPy references: the benchmark models with no framework at all.

Each model is a dict of float32 arrays in PyTorch's layout (Linear weight (out, in), Conv2d
weight (out, in, kh, kw)) and a ``step(params, x, y, lr)`` that runs forward, backward and a
plain SGD update (θ ← θ - lr·g, in place) and returns the loss. This is the bar minidl is
measured against: what a careful person writes by hand on NumPy, using the lessons of the
benchmarks issue:

  (c) max pooling as the max of the k·k strided slices (not reshape-and-max),
  (d) col2im as a loop over the kernel offsets adding shifted slices (not ``np.add.at``),
  (e) a channel-major (C, N, H, W) layout inside the CNN, so the im2col columns
      (C·kh·kw, N·H·W) come straight out of a strided view in GEMM shape, and the GEMM result
      (C_out, N·H·W) is already the next layer's channel-major input.

The loss is the mean softmax cross-entropy, L = mean_i (logsumexp(z_i) - z_i[y_i]), whose
gradient is dL/dz = (softmax(z) - onehot(y)) / N.

Example:
    >>> import numpy as np
    >>> from benchmarks import reference_numpy as ref
    >>> params = ref.init_mlp(np.random.default_rng(0))
    >>> x = np.random.default_rng(1).standard_normal((4, 784), dtype=np.float32)
    >>> y = np.array([0, 1, 2, 3])
    >>> loss = ref.mlp_step(params, x, y, lr=0.01)
    >>> 2.0 < loss < 2.6
    True
"""
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

MLP_SIZES = (784, 512, 256, 10)
CNN_SPEC = dict(c1=16, c2=32, k=3, pad=1, pool=2, in_hw=28, n_classes=10)


# ----------------------------------------------------------------------------- initialization
def _uniform(rng, shape, fan_in):
    """PyTorch's default init for Linear/Conv2d: U(-1/√fan_in, 1/√fan_in)."""
    bound = 1.0 / math.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


def init_mlp(rng, sizes=MLP_SIZES):
    """{'0.weight', '0.bias', '2.weight', ...}: the names minidl/PyTorch Sequential gives."""
    params = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        params[f'{2 * i}.weight'] = _uniform(rng, (n_out, n_in), n_in)
        params[f'{2 * i}.bias'] = _uniform(rng, (n_out,), n_in)
    return params


def init_cnn(rng, spec=CNN_SPEC):
    """Names as in Sequential(conv, relu, pool, conv, relu, pool, flatten, linear)."""
    k, c1, c2 = spec['k'], spec['c1'], spec['c2']
    flat = c2 * (spec['in_hw'] // spec['pool'] ** 2) ** 2
    return {
        '0.weight': _uniform(rng, (c1, 1, k, k), 1 * k * k), '0.bias': _uniform(rng, (c1,), 1 * k * k),
        '3.weight': _uniform(rng, (c2, c1, k, k), c1 * k * k), '3.bias': _uniform(rng, (c2,), c1 * k * k),
        '7.weight': _uniform(rng, (spec['n_classes'], flat), flat),
        '7.bias': _uniform(rng, (spec['n_classes'],), flat),
    }


# ----------------------------------------------------------------------------- loss
def softmax_cross_entropy(z, y):
    """(mean loss, dL/dz) for logits z (N, K) and integer labels y (N,)."""
    n = z.shape[0]
    z_max = z.max(axis=1, keepdims=True)
    e = np.exp(z - z_max)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = float(np.mean(np.log(s[:, 0]) + z_max[:, 0] - z[rows, y]))
    e /= s                          # softmax, in place
    e[rows, y] -= 1.0
    e *= np.float32(1.0 / n)
    return loss, e


def sgd(params, grads, lr):
    """θ ← θ - lr·g in place (the gradients are scaled in place too: nobody reads them after)."""
    lr = np.float32(lr)
    for name, g in grads.items():
        g *= lr
        params[name] -= g


# ----------------------------------------------------------------------------- MLP
def mlp_forward(params, x, y):
    """Linear-ReLU-Linear-ReLU-Linear and the softmax cross-entropy: (loss, dL/dz, activations)."""
    n_layers = len(params) // 2
    acts = [x]
    h = x
    for i in range(n_layers):
        h = h @ params[f'{2 * i}.weight'].T
        h += params[f'{2 * i}.bias']
        if i < n_layers - 1:
            np.maximum(h, 0, out=h)
        acts.append(h)
    loss, g = softmax_cross_entropy(h, y)
    return loss, g, acts


def mlp_backward(params, g, acts):
    """{name: dL/dθ} from dL/dz and the activations of ``mlp_forward``."""
    grads = {}
    for i in reversed(range(len(params) // 2)):
        a_in = acts[i]
        grads[f'{2 * i}.weight'] = g.T @ a_in
        grads[f'{2 * i}.bias'] = g.sum(axis=0)
        if i > 0:
            g = g @ params[f'{2 * i}.weight']
            g *= acts[i] > 0            # ReLU': the activation is the ReLU output
    return grads


def mlp_step(params, x, y, lr=0.01, update=True):
    """One SGD step of the MLP; returns the loss (and the gradients, without the update)."""
    loss, g, acts = mlp_forward(params, x, y)
    grads = mlp_backward(params, g, acts)
    if update:
        sgd(params, grads, lr)
    return loss if update else (loss, grads)


# ----------------------------------------------------------------------------- convolution
def im2col_cm(x_cm, k, pad):
    """Columns (C·k·k, N·H·W) of a channel-major input x_cm (C, N, H, W), stride 1, 'same' size.

    A strided view (C, k, k, N, H, W) of the padded input; one reshape copy puts it in GEMM shape.
    """
    c, n, h, w = x_cm.shape
    xp = np.pad(x_cm, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x_cm
    ho, wo = xp.shape[2] - k + 1, xp.shape[3] - k + 1
    s = xp.strides
    view = as_strided(xp, shape=(c, k, k, n, ho, wo), strides=(s[0], s[2], s[3], s[1], s[2], s[3]),
                      writeable=False)
    return view.reshape(c * k * k, n * ho * wo), (ho, wo)


def col2im_cm(cols, shape, k, pad):
    """Adjoint of im2col_cm: add the columns back into a (C, N, H, W) gradient, one kernel offset at a time."""
    c, n, h, w = shape
    ho, wo = h + 2 * pad - k + 1, w + 2 * pad - k + 1
    cols = cols.reshape(c, k, k, n, ho, wo)
    dxp = np.zeros((c, n, h + 2 * pad, w + 2 * pad), dtype=cols.dtype)
    for i in range(k):
        for j in range(k):
            dxp[:, :, i:i + ho, j:j + wo] += cols[:, i, j]
    return dxp[:, :, pad:pad + h, pad:pad + w] if pad else dxp


def conv_forward_cm(x_cm, weight, bias, pad):
    """y (C_out, N, H, W) = W ⋆ x + b on channel-major x; also returns the columns for backward."""
    c_out, c_in, k, _ = weight.shape
    cols, (ho, wo) = im2col_cm(x_cm, k, pad)
    y = weight.reshape(c_out, -1) @ cols
    y += bias[:, None]
    return y.reshape(c_out, x_cm.shape[1], ho, wo), cols


def conv_backward_cm(gy_cm, x_shape, weight, cols, pad, need_dx=True):
    """(dx, dW, db) for conv_forward_cm; dx is None when not needed (first layer)."""
    c_out, c_in, k, _ = weight.shape
    g2 = gy_cm.reshape(c_out, -1)
    dw = (g2 @ cols.T).reshape(weight.shape)
    db = g2.sum(axis=1)
    dx = col2im_cm(weight.reshape(c_out, -1).T @ g2, x_shape, k, pad) if need_dx else None
    return dx, dw, db


def maxpool_forward(x, k=2):
    """Max over non-overlapping k×k windows of the last two axes: the max of k·k strided slices."""
    h, w = x.shape[-2] // k, x.shape[-1] // k
    out = None
    for i in range(k):
        for j in range(k):
            s = x[..., i:h * k:k, j:w * k:k]
            out = s.copy() if out is None else np.maximum(out, s, out=out)
    return out


def maxpool_backward(gy, x, y, k=2):
    """Route each window's gradient to its (first) maximum, as PyTorch does."""
    h, w = y.shape[-2], y.shape[-1]
    dx = np.zeros_like(x)
    free = np.ones(y.shape, dtype=bool)           # windows whose maximum is not yet claimed
    for i in range(k):
        for j in range(k):
            hit = x[..., i:h * k:k, j:w * k:k] == y
            hit &= free
            free &= ~hit
            dx[..., i:h * k:k, j:w * k:k] = gy * hit
    return dx


# ----------------------------------------------------------------------------- CNN
def cnn_step(params, x, y, lr=0.01, update=True):
    """One SGD step of conv-relu-pool-conv-relu-pool-linear on x (N, 1, 28, 28); returns the loss."""
    n = x.shape[0]
    pad = CNN_SPEC['pad']
    x_cm = np.ascontiguousarray(x.transpose(1, 0, 2, 3))          # (C, N, H, W)
    h1, cols1 = conv_forward_cm(x_cm, params['0.weight'], params['0.bias'], pad)
    np.maximum(h1, 0, out=h1)
    p1 = maxpool_forward(h1)
    h2, cols2 = conv_forward_cm(p1, params['3.weight'], params['3.bias'], pad)
    np.maximum(h2, 0, out=h2)
    p2 = maxpool_forward(h2)                                      # (C2, N, 7, 7)
    flat = p2.transpose(1, 0, 2, 3).reshape(n, -1)                # PyTorch's (N, C·H·W) order
    z = flat @ params['7.weight'].T
    z += params['7.bias']
    loss, gz = softmax_cross_entropy(z, y)

    grads = {'7.weight': gz.T @ flat, '7.bias': gz.sum(axis=0)}
    g_flat = gz @ params['7.weight']
    g_p2 = np.ascontiguousarray(g_flat.reshape(n, *p2.shape[:1], *p2.shape[2:]).transpose(1, 0, 2, 3))
    g_h2 = maxpool_backward(g_p2, h2, p2)
    g_h2 *= h2 > 0
    g_p1, grads['3.weight'], grads['3.bias'] = conv_backward_cm(g_h2, p1.shape, params['3.weight'], cols2, pad)
    g_h1 = maxpool_backward(g_p1, h1, p1)
    g_h1 *= h1 > 0
    _, grads['0.weight'], grads['0.bias'] = conv_backward_cm(g_h1, x_cm.shape, params['0.weight'], cols1,
                                                             pad, need_dx=False)
    if update:
        sgd(params, grads, lr)
    return loss if update else (loss, grads)


# ----------------------------------------------------------------------------- single ops (NCHW API)
def conv2d_fwd_bwd(x, weight, bias, gy, pad=1):
    """Forward and backward of one conv2d on NCHW x (the layout a user hands in), via channel-major."""
    x_cm = np.ascontiguousarray(x.transpose(1, 0, 2, 3))
    y_cm, cols = conv_forward_cm(x_cm, weight, bias, pad)
    y = y_cm.transpose(1, 0, 2, 3)
    gy_cm = np.ascontiguousarray(gy.transpose(1, 0, 2, 3))
    dx_cm, dw, db = conv_backward_cm(gy_cm, x_cm.shape, weight, cols, pad)
    return y, dx_cm.transpose(1, 0, 2, 3), dw, db


def batchnorm_fwd_bwd(x, gamma, beta, gy, eps=1e-5):
    """Training-mode BatchNorm2d forward and backward on NCHW x (closed-form backward)."""
    axes = (0, 2, 3)
    m = x.size // x.shape[1]
    mean = x.mean(axis=axes, keepdims=True)
    xc = x - mean
    var = np.einsum('nchw,nchw->c', xc, xc)[None, :, None, None] / m
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = xc * inv_std
    g4 = gamma[None, :, None, None]
    y = x_hat * g4 + beta[None, :, None, None]
    dbeta = gy.sum(axis=axes)
    dgamma = np.einsum('nchw,nchw->c', gy, x_hat)
    g = gy * g4
    dx = inv_std * (g - (dbeta * gamma)[None, :, None, None] / m
                    - x_hat * (dgamma * gamma)[None, :, None, None] / m)
    return y, dx, dgamma, dbeta


# ----------------------------------------------------------------------------- the autograd chain
def chain_fwd_bwd(a, b, n_ops):
    """The autograd-overhead chain by hand, its arithmetic and nothing else: forward
    y₀ = a, y₂ᵢ₊₁ = y₂ᵢ·b, y₂ᵢ₊₂ = y₂ᵢ₊₁ + a, L = Σ yₙ (n = n_ops), keeping each product's
    left operand as Mul saves it; backward from g = dL/dyₙ = 1, for i = last .. 0:
    dL/da += g (the sum), dL/db += g·y₂ᵢ and g ← g·b (the product); finally dL/da += g.
    Returns (L, dL/da, dL/db): the floor under any framework's µs per op on this chain.
    """
    kept, y = [], a
    for _ in range(n_ops // 2):
        kept.append(y)
        y = y * b
        y = y + a
    loss = y.sum()
    g = np.ones_like(y)
    ga, gb = np.zeros_like(a), np.zeros_like(b)
    for left in reversed(kept):
        ga = ga + g
        gb = gb + g * left
        g = g * b
    return loss, ga + g, gb
