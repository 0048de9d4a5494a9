# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Tutorial 11 — Vanishing and exploding gradients
#
# *Why did deep networks not train before 2010, and why do they now?* (FAQ 2.) Backprop
# multiplies one factor per layer on the way down, and a product of many factors is either
# tiny or huge unless each factor is close to 1. This tutorial measures it:
#
# 1. per-layer gradient norms in a 20-layer **sigmoid** network vs a 20-layer **ReLU**
#    network with He initialization: the gradient vanishes in the first, not in the second;
# 2. a deep ReLU network whose initialization is too large: the gradient **explodes**, one
#    SGD step throws the weights far away and the loss becomes NaN within a few steps;
# 3. **gradient clipping** (`minidl.optim.clip_grad_norm_`) rescuing that same network.
#
# The claim we check at the end: **through 20 sigmoid layers the first layer's gradient is
# more than 1000x smaller than the last layer's, while with ReLU + He it stays within 10x;
# and the exploding network turns NaN without clipping but trains with it.**

# %%
import os

# One BLAS thread: our matrices are small, and on a busy machine BLAS threads wait for each
# other (tutorial 13 measures it). Set before NumPy is imported; a value you set is kept.
for variable in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(variable, '1')

import sys  # noqa: E402
import warnings  # noqa: E402

import matplotlib  # noqa: E402
matplotlib.use('Agg')            # draw to files: runs without a display (tests, servers)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np               # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)) if '__file__' in globals() else os.getcwd())
from _common import FAST, figure_path  # noqa: E402

import minidl                    # noqa: E402
from minidl import nn, optim     # noqa: E402

minidl.manual_seed(0)

# %% [markdown]
# ## 1. The product of Jacobians
#
# Write a plain deep network as $h_l = \phi(z_l)$, $z_l = W_l h_{l-1} + b_l$. The chain rule
# gives the gradient at layer l from the one at layer l+1:
#
# $$ \frac{\partial L}{\partial h_{l}} = W_{l+1}^\top \big(\phi'(z_{l+1}) \odot \frac{\partial L}{\partial h_{l+1}}\big),
#    \qquad \frac{\partial L}{\partial W_l} = \big(\phi'(z_l) \odot \frac{\partial L}{\partial h_l}\big)\, h_{l-1}^\top ,$$
#
# so from the top to layer 1 the gradient is multiplied by D − 1 matrices $W^\top
# \operatorname{diag}(\phi')$. Its size changes per layer by a factor of about
# $\sigma_W \sqrt{n}\, \cdot \operatorname{rms}(\phi')$ (weight std, width n):
#
# * **sigmoid**: $\sigma'(z) = \sigma(z)(1-\sigma(z)) \le 1/4$, and with a standard
#   initialization the factor is well below 1: the gradient shrinks geometrically, the first
#   layers get almost nothing and learn almost nothing (**vanishing**; Hochreiter 1991,
#   Bengio et al. 1994, Glorot & Bengio 2010).
# * **ReLU** with **He** initialization (σ_W² = 2/fan_in, He et al. 2015): φ' is 1 on half
#   the units and 0 on the others, and the 2 in the variance compensates exactly for the
#   half that is switched off: the factor is about 1 and the gradient keeps its size.
# * a too **large** initialization: the factor is above 1, activations and gradients grow
#   geometrically with depth (**exploding**).
#
# We build 20-layer networks of width 64 on the digits, run one forward/backward pass on a
# batch of 256 and record ‖∂L/∂W_l‖ for every layer.

# %%
x_digits, y_digits = minidl.data.load_digits()
X = minidl.tensor(x_digits.reshape(len(x_digits), -1))
Y = minidl.tensor(y_digits)
n_train = 1500


def deep_mlp(activation, depth, width, init):
    """depth hidden layers Linear(width) + activation, then Linear(10); weights by ``init``, biases 0."""
    layers, fan_in = [], 64
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width), activation()]
        fan_in = width
    layers.append(nn.Linear(fan_in, 10))
    model = nn.Sequential(*layers)
    for module in model.modules():
        if isinstance(module, nn.Linear):
            init(module.weight)
            nn.init.zeros_(module.bias)
    return model


def layer_gradient_norms(model, batch=256):
    model.zero_grad()
    nn.CrossEntropyLoss()(model(X[:batch]), Y[:batch]).backward()
    return np.array([float(np.linalg.norm(m.weight.grad.numpy())) for m in model.modules()
                     if isinstance(m, nn.Linear)])


depth = 20
configs = {
    'sigmoid, Xavier init': (nn.Sigmoid, lambda w: nn.init.xavier_normal_(w)),
    'sigmoid, PyTorch default init': (nn.Sigmoid, lambda w: nn.init.kaiming_uniform_(w, a=5 ** 0.5)),
    'tanh, Xavier init': (nn.Tanh, lambda w: nn.init.xavier_normal_(w)),
    'ReLU, He init': (nn.ReLU, lambda w: nn.init.kaiming_normal_(w, nonlinearity='relu')),
}
grad_norms = {}
for name, (activation, init) in configs.items():
    minidl.manual_seed(0)
    grad_norms[name] = layer_gradient_norms(deep_mlp(activation, depth, 64, init))
    norms = grad_norms[name]
    print(f"{name:<30} ‖∂L/∂W‖: layer 1 {norms[0]:.2e}, layer {depth} {norms[-2]:.2e}, "
          f"ratio first/last hidden {norms[0] / norms[-2]:.1e}")

# %%
fig, ax = plt.subplots(figsize=(9, 5))
markers = ['o', 's', '^', 'D']
for marker, (name, norms) in zip(markers, grad_norms.items()):
    ax.semilogy(np.arange(1, len(norms) + 1), norms, marker + '-', ms=4, label=name)
ax.set_xlabel(f'layer (1 = first, {depth + 1} = output)')
ax.set_ylabel('‖∂L/∂W_l‖ (log scale)')
ax.set_title(f'Gradient norm per layer, {depth} hidden layers of width 64, one batch of digits')
ax.set_xticks(range(1, depth + 2, 2))
ax.grid(alpha=0.3, which='both')
ax.legend()
fig.tight_layout()
fig.savefig(figure_path('11_gradient_norms.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![gradient norms](figures/11_gradient_norms.png)
#
# Read the figure from right (output) to left (input). The sigmoid networks lose a constant
# factor per layer: a straight line on the log axis, many orders of magnitude over 20 layers
# (12 with Xavier's initialization, 16 with PyTorch's default). Their first layers would
# need a learning rate about 10¹² times larger than their last ones. tanh (σ' = 1 − tanh²,
# which is 1 at 0, with Xavier's variance chosen for exactly that case) and ReLU with He
# keep the gradient at about the same size in every layer. This is why deep networks use
# ReLU-like activations with He initialization (and BatchNorm and residual connections,
# which keep the per-layer factor near 1 by construction).
#
# ## 2. Exploding gradients
#
# Now scale He's standard deviation up by a factor of 2 in a ReLU network with 8 hidden
# layers: each layer multiplies activations (forward) and gradients (backward) by about 2,
# so the logits are about 2⁸ = 256 times too large and so is the gradient. One SGD step with an
# ordinary learning rate then moves the weights by far more than their own size, and the next
# forward pass is larger still. In the run below the loss goes 417 → 2,587 → 1.1·10⁶ →
# 1.8·10¹⁸ over steps 0–3; at step 4 the activations overflow float32 (whose largest value is
# 3.4·10³⁸) inside the network, inf − inf and 0 · inf make NaN, and every logit and the loss
# are `nan` — the loss itself never reads `inf`. (We silence NumPy's overflow warnings here:
# overflow is the point.)
#
# ## 3. Gradient clipping
#
# Clipping by the global norm (Pascanu, Mikolov & Bengio, 2013) rescales the whole
# gradient when its norm exceeds a threshold c:
#
# $$ g \leftarrow g \cdot \min\Big(1, \frac{c}{\lVert g \rVert}\Big), \qquad
#    \lVert g \rVert = \sqrt{\textstyle\sum_{\text{all parameters}} \lVert g_p \rVert^2}. $$
#
# The direction is kept, only the step length is bounded by η c. It does not fix the
# initialization, but no single step can throw the weights away, so training can walk out of
# the steep region. `clip_grad_norm_(model.parameters(), c)` returns the norm *before*
# clipping, which is worth logging: spikes in it are the first sign of trouble.
# (`minidl.train.fit(..., clip_grad_norm=c)` does it for you.)

# %%
def train_exploding(clip, n_steps, seed=0, lr=0.01):
    minidl.manual_seed(seed)
    model = deep_mlp(nn.ReLU, 8, 64, lambda w: nn.init.normal_(w, std=2.0 * np.sqrt(2.0 / w.shape[1])))
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    losses, norms = [], []
    with warnings.catch_warnings(), np.errstate(over='ignore', invalid='ignore'):
        warnings.simplefilter('ignore', RuntimeWarning)
        for _ in range(n_steps):
            batch = rng.integers(0, n_train, 64)
            opt.zero_grad()
            loss = loss_fn(model(X[batch]), Y[batch])
            losses.append(float(loss.item()))
            if not np.isfinite(losses[-1]):
                break                                   # NaN: nothing left to train
            loss.backward()
            # with clip=None we still measure the norm (an infinite threshold never clips)
            norms.append(float(optim.clip_grad_norm_(model.parameters(), clip or float('inf')).item()))
            opt.step()
        with minidl.no_grad():
            predictions = model(X[n_train:]).numpy().argmax(axis=1)
    accuracy = float((predictions == y_digits[n_train:]).mean())
    return np.array(losses), np.array(norms), accuracy


n_steps = 120 if FAST else 300
exploding = {'no clipping': train_exploding(None, n_steps), 'clip_grad_norm_(c=1)': train_exploding(1.0, n_steps)}
for name, (losses, norms, accuracy) in exploding.items():
    print(f"{name:<22} steps run {len(losses):>3}, loss {losses[0]:.3g} -> {losses[-1]:.3g}, "
          f"first grad norm {norms[0]:.3g}, held-out accuracy {accuracy:.3f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.6))
for color, (name, (losses, norms, accuracy)) in zip(['#d62728', '#2ca02c'], exploding.items()):
    shown = np.where(np.isfinite(losses), losses, np.nan)
    axes[0].semilogy(np.arange(len(losses)), shown, '.-', color=color, ms=4,
                     label=f"{name} (held-out accuracy {accuracy:.0%})")
    axes[1].semilogy(np.arange(len(norms)), norms, '.-', color=color, ms=4, label=name)
    if not np.isfinite(losses[-1]):
        axes[0].axvline(len(losses) - 1, color=color, ls='--', lw=1)
        axes[0].text(len(losses) + 2, np.nanmax(shown) / 10, f'loss = NaN at step {len(losses) - 1}',
                     color=color, fontsize=9)
axes[1].axhline(1.0, color='gray', ls='--', lw=1, label='clipping threshold c = 1')
axes[0].set_xlabel('SGD step')
axes[0].set_ylabel('training loss (log scale)')
axes[0].set_title('8 ReLU layers, init std = 2 x He: loss')
axes[0].legend(fontsize=9)
axes[0].grid(alpha=0.3)
axes[1].set_xlabel('SGD step')
axes[1].set_ylabel('gradient norm before clipping (log scale)')
axes[1].set_title('Global gradient norm ‖g‖')
axes[1].legend(fontsize=9)
axes[1].grid(alpha=0.3)
fig.tight_layout()
fig.savefig(figure_path('11_clipping.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![clipping](figures/11_clipping.png)
#
# Without clipping the first gradient has a norm of 1,509, the first step multiplies the
# weights' scale, and the loss is NaN four steps later (its gradient norm has reached
# 4.8·10¹⁷ by then). With the same initialization, learning rate and batches, clipping to
# norm 1 bounds every step; over 300 steps the loss comes down three orders of magnitude
# (417 to 0.45, the mean of the last 10 steps) as the network scales its weights back into a
# sane range, and it learns the digits: 74% held-out accuracy, well above the 10% of chance,
# if worse than a well-initialized network would do (clipping is a safety net, not a cure).
#
# ## 4. The claim, checked

# %%
sigmoid_ratio = grad_norms['sigmoid, Xavier init'][0] / grad_norms['sigmoid, Xavier init'][-2]
relu_ratio = grad_norms['ReLU, He init'][0] / grad_norms['ReLU, He init'][-2]
no_clip, clipped = exploding['no clipping'], exploding['clip_grad_norm_(c=1)']
print(f"first/last hidden layer gradient: sigmoid {sigmoid_ratio:.1e}, ReLU+He {relu_ratio:.2f}")
print(f"no clipping: NaN after {len(no_clip[0])} steps; clipping: loss {clipped[0][0]:.3g} -> "
      f"{clipped[0][-10:].mean():.3g} (mean of the last 10), held-out accuracy {clipped[2]:.3f}")
assert sigmoid_ratio < 1e-3, sigmoid_ratio
assert 0.1 < relu_ratio < 10, relu_ratio
assert not np.isfinite(no_clip[0][-1]) and len(no_clip[0]) < 20, no_clip[0]
assert np.all(np.isfinite(clipped[0])) and clipped[0][-10:].mean() < 0.05 * clipped[0][0], clipped[0]
assert clipped[2] > 0.3, clipped[2]
print("OK: sigmoid gradients vanish (>1000x) where ReLU+He keep their size, and clipping rescues "
      "the exploding network.")
