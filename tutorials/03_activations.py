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
# # Tutorial 3 — Activation functions: shapes, derivatives, saturation and dying ReLUs
#
# Without a nonlinearity between them, a stack of linear layers is one linear layer
# ($W_2(W_1x) = (W_2W_1)x$). The activation function is what lets depth buy expressive
# power — and its **derivative** decides how well the gradient gets back through the stack.
# By the chain rule, the gradient that reaches layer l is multiplied, at every unit it passes,
# by $f'(z)$ at that unit's pre-activation z:
#
# $$ \frac{\partial L}{\partial z^{(l)}} = f'(z^{(l)}) \odot \Big(W^{(l+1)\top}
#    \frac{\partial L}{\partial z^{(l+1)}}\Big) . $$
#
# So two things about f' matter: where it is **close to 0** (the gradient is cut) and how
# large it is at most (repeated factors below 1 shrink the gradient). This tutorial
#
# 1. plots every activation in minidl with its derivative, the derivative computed by
#    **minidl's autograd** (not by hand);
# 2. measures the **saturation** of the sigmoid: how its average gradient falls as the inputs
#    grow;
# 3. measures **dying ReLUs**: after a few steps with a too-large learning rate, a large
#    fraction of ReLU units output 0 for every training example, get no gradient and never
#    recover, while ELU and a Leaky ReLU with a visible slope keep (almost) all their units.
#
# The claim we check at the end: **after a burst of training at a large learning rate, more
# than 30% of the ReLU units of a hidden layer are dead and stay dead, versus under 10% with
# ELU or LeakyReLU(0.1) (and under 5% — the run measures about 1% — with ReLU at a normal
# learning rate); and the sigmoid's mean gradient falls like 1/s for inputs of scale s.**

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
from minidl import nn, optim     # noqa: E402
from minidl.data import DataLoader, StandardScaler, TensorDataset, load_digits  # noqa: E402

minidl.manual_seed(0)

# %% [markdown]
# ## 1. Every activation and its derivative
#
# | name | f(x) | f'(x) |
# |---|---|---|
# | ReLU | max(x, 0) | 1 if x > 0 else 0 |
# | LeakyReLU(a) | x if x > 0 else a·x | 1 or a |
# | PReLU | like LeakyReLU, with a **learned** slope a (initially 0.25) | 1 or a |
# | ELU(α) | x if x > 0 else α(eˣ − 1) | 1 or α eˣ |
# | SELU | λ·ELU(x; α), λ ≈ 1.0507, α ≈ 1.6733 | λ or λα eˣ |
# | GELU | x Φ(x) (Φ the standard normal CDF) | Φ(x) + x φ(x) |
# | SiLU (swish) | x σ(x) | σ(x)(1 + x(1 − σ(x))) |
# | Softplus | log(1 + eˣ) | σ(x) |
# | Sigmoid σ | 1 / (1 + e⁻ˣ) | σ(x)(1 − σ(x)) ≤ 1/4 |
# | Tanh | tanh x | 1 − tanh² x ≤ 1 |
#
# We do not code the right-hand column: we ask autograd. For an elementwise f, the gradient of
# $\sum_i f(x_i)$ with respect to $x_i$ is exactly $f'(x_i)$, so one `backward()` on the sum
# gives the derivative at every point of a grid.

# %%
activations = {
    'ReLU': nn.ReLU(), 'LeakyReLU(0.1)': nn.LeakyReLU(0.1), 'PReLU (a = 0.25)': nn.PReLU(),
    'ELU': nn.ELU(), 'SELU': nn.SELU(), 'GELU': nn.GELU(), 'SiLU': nn.SiLU(),
    'Softplus': nn.Softplus(), 'Sigmoid': nn.Sigmoid(), 'Tanh': nn.Tanh(),
}


def value_and_derivative(f, x_values):
    """f(x) and f'(x) on a grid, the derivative by autograd: d/dx_i of sum_j f(x_j) = f'(x_i)."""
    x = minidl.tensor(x_values, dtype=minidl.float64, requires_grad=True)
    y = f(x)
    y.sum().backward()
    return y.detach().numpy(), x.grad.numpy()


xs = np.linspace(-4, 4, 801)
curves = {name: value_and_derivative(f, xs) for name, f in activations.items()}

# autograd agrees with the textbook formulas (two of them, as a spot check)
sigma = 1 / (1 + np.exp(-xs))
sigmoid_error = np.max(np.abs(curves['Sigmoid'][1] - sigma * (1 - sigma)))
tanh_error = np.max(np.abs(curves['Tanh'][1] - (1 - np.tanh(xs) ** 2)))
print(f"max |autograd - formula|: sigmoid' {sigmoid_error:.1e}, tanh' {tanh_error:.1e}")

fig, axes = plt.subplots(2, 5, figsize=(17, 6.8), sharex=True)
for ax, (name, (y, dy)) in zip(axes.ravel(), curves.items()):
    ax.axhline(0, color='gray', lw=0.8)
    ax.axvline(0, color='gray', lw=0.8)
    ax.plot(xs, y, color='#1f77b4', lw=2, label='f(x)')
    ax.plot(xs, dy, color='#d62728', lw=2, ls='--', label="f′(x) (autograd)")
    ax.set_title(name)
    ax.set_ylim(-2, 4)
    ax.grid(alpha=0.3)
for ax in axes[1]:
    ax.set_xlabel('x')
for ax in axes[:, 0]:
    ax.set_ylabel('value')
axes[0, 0].legend(loc='upper left', fontsize=9)
fig.suptitle("minidl's activations (solid) and their derivatives computed by autograd (dashed)")
fig.tight_layout()
fig.savefig(figure_path('03_activations.png'), dpi=90)
plt.close(fig)

# %% [markdown]
# ![activations and derivatives](figures/03_activations.png)
#
# What to look at:
#
# * **ReLU**'s derivative is a step: exactly 0 for x < 0. A unit whose input is negative passes
#   no gradient at all — the root of *dying* (section 3). **LeakyReLU**, **PReLU**, **ELU**
#   and **SELU** keep a nonzero slope on the left; ELU's and SELU's curves are smooth and
#   saturate at −α (−λα) for very negative inputs, pushing mean activations towards zero.
# * **GELU** and **SiLU** are smooth ReLUs with a small dip below 0; their derivative slightly
#   *exceeds* 1 just right of 0 and is slightly negative on the left.
# * **Sigmoid**'s derivative is at most 1/4 and **Tanh**'s at most 1, and both vanish for
#   |x| ≳ 4: these units *saturate*.
#
# ## 2. Saturation of the sigmoid
#
# Feed the sigmoid inputs $x = s\,z$ with $z \sim N(0, 1)$ — s is the typical size of a
# pre-activation, which grows with badly scaled weights or inputs. The mean gradient factor
# a unit passes back is $E[\sigma'(sz)]$. For small s it is $\sigma'(0) = 1/4$. For large s
# almost all inputs land where $\sigma' \approx 0$; only those with $|sz| \lesssim 4$ count,
# and since $\int \sigma'(u)\,du = 1$,
#
# $$ E[\sigma'(sz)] = \int \sigma'(sz)\,\varphi(z)\,dz \approx \frac{\varphi(0)}{s}\int\sigma'(u)\,du
#    = \frac{1}{s\sqrt{2\pi}} \qquad (s \gg 1), $$
#
# a gradient that falls like **1/s**. (For tanh, $\int \tanh' = 2$: the limit is
# $2/(s\sqrt{2\pi})$.) Through a stack of L saturated layers these factors multiply. We measure
# it with autograd on 100,000 samples per scale (20,000 in FAST mode).

# %%
scales = np.logspace(-1, 2, 13 if FAST else 25)
z = minidl.randn(20000 if FAST else 100000, dtype=minidl.float64)
mean_gradient = {'Sigmoid': [], 'Tanh': []}
for s in scales:
    for name in mean_gradient:
        x = (z * s).detach().requires_grad_()
        activations[name](x).sum().backward()
        mean_gradient[name].append(float(x.grad.numpy().mean()))
mean_gradient = {k: np.array(v) for k, v in mean_gradient.items()}
asymptote = 1 / (scales * np.sqrt(2 * np.pi))
for s, g in zip(scales[::4], mean_gradient['Sigmoid'][::4]):
    print(f"s = {s:7.2f}: E[sigmoid'(s z)] = {g:.4f}   (1/(s sqrt(2 pi)) = {1 / (s * np.sqrt(2 * np.pi)):.4f})")

# %%
fig, (ax_f, ax_g) = plt.subplots(1, 2, figsize=(12, 4.6))
y, dy = curves['Sigmoid']
ax_f.plot(xs, y, lw=2, label='σ(x)')
ax_f.plot(xs, dy, lw=2, ls='--', color='#d62728', label="σ′(x) = σ(1 − σ)")
ax_f.axvspan(-4, -3, color='gray', alpha=0.25, label="saturated: σ′ < 0.05")
ax_f.axvspan(3, 4, color='gray', alpha=0.25)
ax_f.set_xlabel('x')
ax_f.set_ylabel('value')
ax_f.set_title('The sigmoid saturates: its slope vanishes for |x| ≳ 3')
ax_f.legend(loc='center left', fontsize=9)
ax_f.grid(alpha=0.3)
ax_g.loglog(scales, mean_gradient['Sigmoid'], 'o-', label="E[σ′(s z)] (autograd)")
ax_g.loglog(scales, mean_gradient['Tanh'], 's-', label="E[tanh′(s z)] (autograd)")
ax_g.loglog(scales, asymptote, 'k:', label='1 / (s √(2π))')
ax_g.loglog(scales, 2 * asymptote, ':', color='gray', label='2 / (s √(2π))')
ax_g.axhline(0.25, color='#1f77b4', lw=0.8, ls='--')
ax_g.text(0.12, 0.27, "σ′(0) = 1/4", color='#1f77b4', fontsize=9)
ax_g.set_xlabel('input scale s  (x = s z,  z ~ N(0, 1))')
ax_g.set_ylabel('mean derivative over the inputs')
ax_g.set_title('Mean gradient factor vs input scale')
ax_g.legend(loc='lower left', fontsize=9)
ax_g.grid(alpha=0.3, which='both')
fig.tight_layout()
fig.savefig(figure_path('03_saturation.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![sigmoid saturation](figures/03_saturation.png)
#
# On the right, both curves are flat for s ≲ 1 (the inputs stay in the linear middle) and
# then bend onto their 1/s asymptotes. At s = 10 the sigmoid passes back, on average, 0.039
# — about 1/6.4 of the 0.249 it passes at s = 0.1 — and at s = 100 only 0.004, 1/64 of it.
# This is why sigmoid and tanh networks need careful initialization (tutorial 4) or
# normalization (tutorial 5), and why deep sigmoid nets suffer from vanishing gradients
# (tutorial 11). Note also that even unsaturated, σ′ ≤ 1/4: ten sigmoid layers multiply the
# gradient by at most $4^{-10} \approx 10^{-6}$.
#
# ## 3. Dying ReLUs
#
# A ReLU unit $h = \mathrm{relu}(w^\top x + b)$ is **dead** when $w^\top x + b \le 0$ for
# *every* input of the training set: it outputs 0 always, its derivative is 0 always, so
# **no gradient ever reaches w or b** again and nothing can bring it back. How does a unit get
# there? One large update: if a step moves b far negative (or turns w away from the data), the
# unit falls off the data. Large learning rates make such steps likely.
#
# The experiment: a 64-128-128-10 MLP on the UCI digits (1,797 images of 8 × 8 pixels,
# standardized), trained with Adam for a short **burst at a too-large learning rate**
# (lr = 0.05, 50× the default) and then at a normal one (lr = 0.002). After every epoch we run
# the whole training set through the network and count, in the second hidden layer, the units
# whose pre-activation is ≤ 0 on all 1,797 images. We compare
#
# * ReLU — and ReLU trained at the normal rate throughout, as a control;
# * LeakyReLU(0.01) (PyTorch's default slope) and LeakyReLU(0.1);
# * ELU.
#
# For the leaky and ELU units "pre-activation ≤ 0 everywhere" does *not* mean dead: their
# derivative there is a (0.01 or 0.1) or $e^{z}$ — small but not zero — so they still learn and
# can climb back. We count them with the same rule, to see whether they do.

# %%
images, labels = load_digits()
features = StandardScaler().fit_transform(images.reshape(len(images), -1)).astype(np.float32)
all_inputs = minidl.tensor(features)


def inactive_fraction(model, layer_index):
    """Fraction of the units of hidden layer `layer_index` (0-based) whose pre-activation is <= 0
    on every training example."""
    model.eval()
    h, seen = all_inputs, -1
    with minidl.no_grad():
        for module in model:
            h = module(h)
            if isinstance(module, nn.Linear):
                seen += 1
                if seen == layer_index:
                    model.train()
                    return float((h.numpy().max(axis=0) <= 0).mean())
    raise IndexError(layer_index)


burst_epochs, calm_epochs = (1, 4) if FAST else (2, 8)
high_lr, normal_lr = 0.05, 0.002
runs = {  # name: (activation factory, learning rate of the burst)
    'ReLU, normal lr throughout': (nn.ReLU, normal_lr),
    'ReLU': (nn.ReLU, high_lr),
    'LeakyReLU(0.01)': (lambda: nn.LeakyReLU(0.01), high_lr),
    'LeakyReLU(0.1)': (lambda: nn.LeakyReLU(0.1), high_lr),
    'ELU': (nn.ELU, high_lr),
}
inactive, final_accuracy = {}, {}
for name, (make_activation, burst_lr) in runs.items():
    minidl.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), make_activation(), nn.Linear(128, 128), make_activation(),
                          nn.Linear(128, 10))
    optimizer = optim.Adam(model.parameters(), lr=burst_lr)
    loader = DataLoader(TensorDataset(features, labels), batch_size=64, shuffle=True, seed=0)
    loss_fn = nn.CrossEntropyLoss()
    history = [inactive_fraction(model, 1)]
    for epoch in range(burst_epochs + calm_epochs):
        if epoch == burst_epochs:
            for group in optimizer.param_groups:
                group['lr'] = normal_lr
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
        history.append(inactive_fraction(model, 1))
    inactive[name] = np.array(history)
    with minidl.no_grad():
        model.eval()
        final_accuracy[name] = float((model(all_inputs).numpy().argmax(axis=1) == labels).mean())
    print(f"{name:28s} inactive fraction per epoch: {np.round(history, 2)}  "
          f"train accuracy {final_accuracy[name]:.3f}")

# %%
fig, (ax_t, ax_b) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={'width_ratios': [1.4, 1]})
epochs_axis = np.arange(burst_epochs + calm_epochs + 1)
run_colors = dict(zip(inactive, ['#7f7f7f', '#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd']))
for name, history in inactive.items():
    ax_t.plot(epochs_axis, 100 * history, marker='o', label=name, color=run_colors[name],
              ls='--' if 'normal' in name else '-', lw=2.5 if 'normal' in name else 1.5)
ax_t.axvspan(0, burst_epochs, color='#d62728', alpha=0.1, label=f'burst: lr = {high_lr}')
ax_t.set_xlabel('epoch')
ax_t.set_ylabel('% of hidden-layer-2 units with\npre-activation ≤ 0 on every image')
ax_t.set_title(f'Units off on the whole training set (after the burst: lr = {normal_lr})')
ax_t.legend(fontsize=9, loc='center right')
ax_t.grid(alpha=0.3)
names = list(inactive)
bars = ax_b.bar(range(len(names)), [100 * inactive[n][-1] for n in names],
                color=[run_colors[n] for n in names])
for bar, n in zip(bars, names):
    ax_b.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 1, f"{100 * inactive[n][-1]:.0f}%",
              ha='center', fontsize=9)
ax_b.set_xticks(range(len(names)))
ax_b.set_xticklabels([n.replace(', ', ',\n') for n in names], fontsize=8.5, rotation=20)
ax_b.set_ylabel('% units off at the end')
ax_b.set_ylim(0, 100)
ax_b.set_title('At the end of training')
ax_b.grid(alpha=0.3, axis='y')
fig.tight_layout()
fig.savefig(figure_path('03_dying_relu.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![dying ReLU](figures/03_dying_relu.png)
#
# What to look at. At the normal learning rate almost no ReLU unit dies (about 1%). After the
# burst, 59% of the ReLU units (75 of 128) are dead, and the eight calm epochs that follow
# bring back at most one of them (74 at the end): a dead unit's own gradient is exactly zero,
# and only the layer below, still learning, can move its inputs. The network still reaches a
# good training accuracy (98.9%) — on less than half of its width. LeakyReLU(0.01) has over a
# third of its units off (36%), but they are only *dormant*: their gradient is 1% of the
# normal size, so they recover very slowly. LeakyReLU(0.1) and
# ELU lose almost nothing: a unit pushed below zero still gets a real gradient and moves
# back. Remedies for dying ReLUs, in practice: a smaller learning rate (or warm-up), a
# leaky/ELU/GELU activation, normalization layers, and a small positive bias at initialization.
#
# ## 4. The claim, checked

# %%
relu_dead = inactive['ReLU']
print(f"dead after the burst {relu_dead[burst_epochs]:.2f}, at the end {relu_dead[-1]:.2f}; "
      f"control {inactive['ReLU, normal lr throughout'][-1]:.2f}; LeakyReLU(0.01) {inactive['LeakyReLU(0.01)'][-1]:.2f}, "
      f"LeakyReLU(0.1) {inactive['LeakyReLU(0.1)'][-1]:.2f}, ELU {inactive['ELU'][-1]:.2f}")
assert sigmoid_error < 1e-12 and tanh_error < 1e-12, (sigmoid_error, tanh_error)
assert relu_dead[-1] > 0.30, relu_dead
assert relu_dead[-1] >= relu_dead[burst_epochs] - 0.02, relu_dead          # dead units stay dead
assert inactive['ReLU, normal lr throughout'][-1] < 0.05, inactive
assert inactive['LeakyReLU(0.1)'][-1] < 0.10 and inactive['ELU'][-1] < 0.10, inactive
assert inactive['LeakyReLU(0.01)'][-1] < relu_dead[-1], inactive
at_10 = np.argmin(np.abs(scales - 10))
sigmoid_ratio = mean_gradient['Sigmoid'][at_10] * scales[at_10] * np.sqrt(2 * np.pi)
print(f"E[sigmoid'(s z)] at s = {scales[at_10]:.0f}: {mean_gradient['Sigmoid'][at_10]:.4f} "
      f"= {sigmoid_ratio:.2f} x 1/(s sqrt(2 pi))")
assert abs(mean_gradient['Sigmoid'][0] - 0.25) < 0.01, mean_gradient['Sigmoid'][0]
assert 0.9 < sigmoid_ratio < 1.1, sigmoid_ratio
print("OK: a large learning rate kills >30% of ReLU units for good; ELU and LeakyReLU(0.1) keep theirs; "
      "the sigmoid's gradient falls like 1/s.")
