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
# # Tutorial 4 — Weight initialization: keeping the signal alive through 20 layers
#
# Before the first step of training, the weights are random. *How* random matters: in a deep
# network each layer multiplies the size of the signal by some factor, and twenty factors a
# little below 1 make it vanish while twenty a little above 1 make it explode — in both
# directions, forward (activations) and backward (gradients). Good initializations pick the
# weight variance so that the factor is 1.
#
# We push a batch of random inputs through a 20-layer, 256-unit-wide MLP and measure the
# standard deviation of the activations and of the gradients at every layer, for four
# initializations of the weights (biases 0):
#
# | name | W ~ | reasoning |
# |---|---|---|
# | zeros | 0 | "neutral" — and broken |
# | small normal | N(0, 0.01²) | "small random numbers" |
# | Xavier / Glorot (2010) | N(0, 2 / (fan_in + fan_out)) | variance-preserving for a linear (or tanh near 0) unit |
# | He / Kaiming (2015) | N(0, 2 / fan_in) | variance-preserving for ReLU |
#
# with tanh and with ReLU between the layers.
#
# The claim we check at the end: **with ReLU, He initialization keeps the activation std of
# every one of the 20 layers within [0.5, 2] times that of layer 1, and Xavier does not (it
# halves the variance at every layer); the gradients behave the same way backwards.**

# %%
import os
import sys

import matplotlib
matplotlib.use('Agg')            # draw to files: runs without a display (tests, servers)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np               # noqa: E402

# The shared helper lives next to this file; put this folder on the import path (works from
# the repository root, from tutorials/ and in Jupyter, where __file__ is not defined).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)) if '__file__' in globals() else os.getcwd())
from _common import FAST, figure_path  # noqa: E402

import minidl                    # noqa: E402
from minidl import nn            # noqa: E402
from minidl.nn import init       # noqa: E402

minidl.manual_seed(0)

# %% [markdown]
# ## 1. The variance of one layer
#
# A layer computes $z_i = \sum_{j=1}^{n} W_{ij} h_j$ over $n$ = fan_in inputs, then
# $h'_i = f(z_i)$. If the $W_{ij}$ are independent of the $h_j$, with mean 0 and variance
# $\mathrm{Var}(W)$,
#
# $$ \mathrm{Var}(z_i) = n\,\mathrm{Var}(W)\,E[h_j^2] . $$
#
# * **Linear or tanh near 0** ($f(z) \approx z$, so $E[h^2] = \mathrm{Var}(z)$ of the layer
#   before): the variance is kept when $n\,\mathrm{Var}(W) = 1$ — LeCun's $1/n$; Glorot and
#   Bengio average the forward ($1/\text{fan\_in}$) and backward ($1/\text{fan\_out}$)
#   conditions into $2/(\text{fan\_in} + \text{fan\_out})$, which is $1/n$ for our square layers.
# * **ReLU** zeroes the negative half of a symmetric z, so
#   $E[\mathrm{relu}(z)^2] = \tfrac12\mathrm{Var}(z)$: each layer **halves** the variance
#   unless $n\,\mathrm{Var}(W) = 2$ — He's $2/n$. With Xavier the std falls by
#   $1/\sqrt2$ per layer: after 20 layers, by $2^{-19/2} \approx 1.4\cdot10^{-3} \approx 1/720$
#   relative to layer 1 (the run below measures $1.3\cdot10^{-3}$).
#
# Backwards the same algebra holds with fan_out: $\partial L/\partial h_j = \sum_i W_{ij}
# f'(z_i)\,\partial L/\partial h'_i$, so $\mathrm{Var}$ is multiplied by
# $\text{fan\_out}\,\mathrm{Var}(W)\,E[f'(z)^2]$ — for ReLU $E[f'^2] = 1/2$ again.
#
# ## 2. The experiment
#
# 512 inputs $x \sim N(0, I)$ of dimension 256, twenty `Linear(256, 256)` layers each followed
# by the activation. For the backward pass we use the loss $L = \frac{1}{B}\sum_b r_b^\top h^{(20)}_b$
# with a fixed random $r$, so that the gradient arriving at the top has std ≈ 1/B at every
# unit whatever the activations are, and `retain_grad()` keeps $\partial L/\partial h^{(l)}$
# at every layer.

# %%
depth, width = 20, 256
batch = 256 if FAST else 512
inits = {
    'zeros': lambda w: init.zeros_(w),
    'small normal (std 0.01)': lambda w: init.normal_(w, std=0.01),
    'Xavier': lambda w: init.xavier_normal_(w),
    'He': lambda w: init.kaiming_normal_(w, nonlinearity='relu'),
}
activation_types = {'tanh': nn.Tanh, 'relu': nn.ReLU}
x = minidl.randn(batch, width)
r = minidl.randn(batch, width)


def run(init_fn, activation):
    """Forward and backward through `depth` layers; per layer: activations (NumPy), their std,
    and the std of dL/d(activation)."""
    minidl.manual_seed(1)
    layers = []
    for _ in range(depth):
        linear = nn.Linear(width, width)
        init_fn(linear.weight)
        init.zeros_(linear.bias)
        layers.append(linear)
    act = activation()
    h, hidden = x, []
    for linear in layers:
        h = act(linear(h))
        h.retain_grad()
        hidden.append(h)
    ((h * r).sum() / batch).backward()
    values = [t.detach().numpy() for t in hidden]
    return {'values': values,
            'std': np.array([v.std() for v in values]),
            'grad_std': np.array([t.grad.numpy().std() for t in hidden])}


results = {(a, name): run(fn, act) for a, act in activation_types.items() for name, fn in inits.items()}
for (a, name), res in results.items():
    print(f"{a:4s} {name:24s} activation std: layer 1 {res['std'][0]:.2e}, layer 10 {res['std'][9]:.2e}, "
          f"layer 20 {res['std'][-1]:.2e} | gradient std: layer 1 {res['grad_std'][0]:.2e}, "
          f"layer 20 {res['grad_std'][-1]:.2e}")

# %% [markdown]
# ## 3. Histograms per layer
#
# Each row is one initialization, each column one depth; the panel shows the distribution of
# the 512 × 256 activation values of that layer (its std in the title).

# %%
shown_layers = [1, 2, 5, 10, 15, 20]
for a in activation_types:
    fig, axes = plt.subplots(len(inits), len(shown_layers), figsize=(16, 10), sharex=True)
    value_range = (-1, 1) if a == 'tanh' else (0, 4)
    for row, name in enumerate(inits):
        res = results[(a, name)]
        for col, layer in enumerate(shown_layers):
            ax = axes[row, col]
            values = res['values'][layer - 1].ravel()
            if a == 'relu':
                values = values[values > 0]        # half are exactly 0: show the positive part
            if values.size:
                ax.hist(np.clip(values, *value_range), bins=50, range=value_range, color='#1f77b4')
            else:
                ax.text(0.5, 0.5, 'all values 0', transform=ax.transAxes, ha='center', va='center')
            ax.set_yticks([])
            ax.set_title(f"layer {layer}: std {res['std'][layer - 1]:.1e}", fontsize=9)
            if col == 0:
                ax.set_ylabel(name, fontsize=10)
            if row == len(inits) - 1:
                ax.set_xlabel('activation value' + (' (> 0 only)' if a == 'relu' else ''))
    fig.suptitle(f"Histograms of the activations of a 20-layer {a} MLP (width {width}) at initialization, "
                 "per initialization (rows) and layer (columns)\n(count axis per panel; values outside the "
                 "range are piled up at its edges)", fontsize=11)
    fig.tight_layout()
    fig.savefig(figure_path(f'04_histograms_{a}.png'), dpi=80)
    plt.close(fig)

# %% [markdown]
# ![tanh histograms](figures/04_histograms_tanh.png)
#
# With **tanh**: zeros give exactly 0 everywhere. Small normal weights shrink the signal by
# $\sqrt{256}\cdot 0.01 = 0.16$ per layer, so by layer 5 everything is a spike at 0. Xavier
# keeps a broad distribution, slowly narrowing (tanh is a contraction: it compresses what
# gets near ±1, and $\tanh'(z) < 1$ away from 0). He is too large for tanh
# ($\mathrm{Var}(z) \approx 2$ per layer): in layer 1 the units pile up at **±1, saturated**,
# where tanh' ≈ 0; deeper, the values spread flat over (−1, 1), many of them near saturation.
#
# ![relu histograms](figures/04_histograms_relu.png)
#
# With **ReLU**: He's histograms look the same at every depth — that is the point of it.
# Xavier's narrow layer after layer (half the variance lost each time), small normal's collapse
# at once.
#
# ## 4. Standard deviation per layer, forward and backward

# %%
colors = {'zeros': '#7f7f7f', 'small normal (std 0.01)': '#ff7f0e', 'Xavier': '#2ca02c', 'He': '#d62728'}
layers_axis = np.arange(1, depth + 1)
fig, axes = plt.subplots(2, 2, figsize=(12, 8.5), sharex=True)
for row, a in enumerate(activation_types):
    for col, key in enumerate(['std', 'grad_std']):
        ax = axes[row, col]
        for name in inits:
            values = results[(a, name)][key]
            if name == 'zeros':                    # 0 has no place on a log axis
                ax.plot([], [], color=colors[name], label='zeros: exactly 0 (not drawn)')
                continue
            ax.semilogy(layers_axis, values, 'o-', ms=3.5, color=colors[name], label=name)
        ax.set_title(f"{a}: std of the {'activations' if key == 'std' else 'gradients dL/dh'} per layer")
        ax.set_ylabel('activation std' if key == 'std' else 'gradient std')
        ax.grid(alpha=0.3, which='major')
        if row == 1:
            ax.set_xlabel('layer')
        ax.set_xticks([1, 5, 10, 15, 20])
axes[0, 0].legend(fontsize=9, loc='lower left')
fig.suptitle('Signal size through 20 layers at initialization (log scale)')
fig.tight_layout()
fig.savefig(figure_path('04_std_per_layer.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![std per layer](figures/04_std_per_layer.png)
#
# Read the curves as straight lines on the log axis: a constant factor per layer. The
# gradient panels read from right to left (the gradient starts at layer 20 and travels down).
#
# * **zeros**: every unit of a layer computes the same thing and gets the same gradient —
#   the symmetry is never broken, and here all activations, and all gradients below the top
#   layer, are exactly 0 (with ReLU and tanh, $f(0) = 0$). Never initialize weights to a
#   constant.
# * **small normal**: the factor $\sqrt{n}\,\sigma_W$ (× 1/√2 for ReLU's lost half) is 0.16
#   (0.11): the signal is gone by layer 5 and the gradient reaching layer 1 is 10⁻¹⁵ (tanh)
#   and 10⁻¹⁸ (ReLU) of the top's. "Small" random weights are fine for 2 layers, fatal for 20.
# * **Xavier** is right for tanh (factor ≈ 1 near 0; the activations narrow slowly as tanh
#   compresses, a factor 4 over 20 layers, and the gradient shrinks gently towards layer 1),
#   and loses a factor $1/\sqrt2$ per layer, forward and backward, with ReLU.
# * **He** is flat with ReLU, forward and backward — and too large for tanh: saturated units,
#   and a gradient that *grows* on its way down (the red curve rises to the left).
#
# ## 5. The claim, checked

# %%
def ratios(a, name, key='std'):
    values = results[(a, name)][key]
    return values / values[0]


he_relu, xavier_relu = ratios('relu', 'He'), ratios('relu', 'Xavier')
he_relu_grad = results[('relu', 'He')]['grad_std'] / results[('relu', 'He')]['grad_std'][-1]
print(f"ReLU, He: activation std / layer 1's in [{he_relu.min():.2f}, {he_relu.max():.2f}]; "
      f"gradient std / layer 20's in [{he_relu_grad.min():.2f}, {he_relu_grad.max():.2f}]")
print(f"ReLU, Xavier: activation std / layer 1's falls to {xavier_relu[-1]:.1e} at layer 20 "
      f"(theory 2^(-19/2) = {2 ** -9.5:.1e}); first below 0.5 at layer {np.argmax(xavier_relu < 0.5) + 1}")
print(f"tanh: layer-20 std / layer 1's: Xavier {ratios('tanh', 'Xavier')[-1]:.2f}, "
      f"small normal {ratios('tanh', 'small normal (std 0.01)')[-1]:.1e}")
assert np.all((0.5 <= he_relu) & (he_relu <= 2)), he_relu
assert np.all((0.5 <= he_relu_grad) & (he_relu_grad <= 2)), he_relu_grad
assert not np.all((0.5 <= xavier_relu) & (xavier_relu <= 2)), xavier_relu
assert 0.5 * 2 ** -9.5 < xavier_relu[-1] < 2 * 2 ** -9.5, xavier_relu[-1]
assert ratios('relu', 'small normal (std 0.01)')[-1] < 1e-10 and ratios('tanh', 'small normal (std 0.01)')[-1] < 1e-10
assert np.all(results[('relu', 'zeros')]['std'] == 0) and np.all(results[('relu', 'zeros')]['grad_std'][:-1] == 0)
print("OK: He keeps the activation std within [0.5, 2] of layer 1's through 20 ReLU layers (and the "
      "gradient std of layer 20's); Xavier does not.")
