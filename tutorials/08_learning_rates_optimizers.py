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
# # Tutorial 8 — Learning rates and optimizers
#
# Every optimizer in deep learning is a variation on one line, gradient descent,
#
# $$ \theta_{t+1} = \theta_t - \eta\, \nabla L(\theta_t), $$
#
# and the learning rate η is the single most important hyperparameter in it. This tutorial
# looks at what the variations do, where you can see it: on **two-dimensional loss
# surfaces**, where a whole optimization path fits on one contour plot.
#
# 1. SGD, SGD with momentum, RMSprop and Adam on an ill-conditioned quadratic and on the
#    Rosenbrock valley (each a minidl optimizer driving a 2-element `Parameter`);
# 2. too low, right, too high and divergent learning rates, and the 2/L rule that separates
#    them;
# 3. the learning-rate schedules of `minidl.optim.lr_scheduler`: the nine built-in formulas
#    drawn over 100 steps, and `LambdaLR` (any function of the step) and `ReduceLROnPlateau`
#    (driven by the validation loss) described;
# 4. warm-up: why Adam's first steps are full-size, and what a linear warm-up does to them.
#
# The claim we check at the end: **on the quadratic, SGD converges for η < 2/L and diverges
# for η > 2/L; on Rosenbrock, momentum and Adam get much closer to the minimum than plain SGD
# in the same number of steps; and a warm-up makes Adam's first updates about 100x smaller.**

# %%
import os

# One BLAS thread: our matrices are small, and on a busy machine BLAS threads wait for each
# other (tutorial 13 measures it). Set before NumPy is imported; a value you set is kept.
for variable in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(variable, '1')

import sys  # noqa: E402

import matplotlib  # noqa: E402
matplotlib.use('Agg')            # draw to files: runs without a display (tests, servers)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np               # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)) if '__file__' in globals() else os.getcwd())
from _common import FAST, figure_path  # noqa: E402

import minidl                    # noqa: E402
from minidl import nn, optim     # noqa: E402
from minidl.nn import Parameter  # noqa: E402
from minidl.optim import lr_scheduler  # noqa: E402

minidl.manual_seed(0)

# %% [markdown]
# ## 1. Four optimizers on two surfaces
#
# The update rules (g = ∇L(θ_t), all operations elementwise):
#
# | optimizer | state | update |
# |---|---|---|
# | SGD | — | θ ← θ − η g |
# | momentum (Polyak, 1964) | velocity v | v ← μ v + g,  θ ← θ − η v |
# | RMSprop (Hinton, 2012) | mean square s | s ← α s + (1−α) g²,  θ ← θ − η g / (√s + ε) |
# | Adam (Kingma & Ba, 2015) | m, v | m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − η m̂ / (√v̂ + ε) |
#
# with the bias corrections m̂ = m / (1−β₁ᵗ), v̂ = v / (1−β₂ᵗ). Momentum averages the
# gradients over time, so components that flip sign (oscillations across a valley) cancel
# and components that keep their sign (along the valley) add up: the effective step along a
# consistent direction is η / (1 − μ), ten times η for μ = 0.9. RMSprop and Adam divide each
# coordinate by a running estimate of its gradient's size, so every coordinate moves at
# roughly the same speed η, whatever its curvature: a per-coordinate learning rate.
#
# **Surface 1, an ill-conditioned quadratic.** $L(x, y) = \tfrac12 (x^2 + 20 y^2)$: the
# curvature is 1 along x and L = 20 along y (condition number 20). Gradient descent
# multiplies the distance to the minimum by (1 − η λ) per step along each axis of curvature
# λ, so it needs η < 2/L = 0.1 to be stable along y, and then crawls along x by a factor
# (1 − η) per step. This is the basic difficulty of training: the step size is limited by the
# sharpest direction and progress by the flattest.
#
# **Surface 2, Rosenbrock's banana.** $L(x, y) = (1 − x)^2 + 100 (y − x^2)^2$: a curved,
# narrow valley with the minimum at (1, 1). The floor of the valley is almost flat, its walls
# are steep.
#
# The learning rates below were picked by hand for each optimizer (roughly the largest that
# behaves), from the same start.

# %%
def quadratic(p):
    x, y = p[0], p[1]
    return 0.5 * (x * x + 20 * y * y)


def rosenbrock(p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def optimize(loss_fn, make_optimizer, start, n_steps):
    """Run an optimizer on a 2-element Parameter; return the path (n_steps+1, 2) and losses."""
    p = Parameter(minidl.tensor(start, dtype=minidl.float64))
    opt = make_optimizer([p])
    path, losses = [p.numpy().copy()], []
    for _ in range(n_steps):
        opt.zero_grad()
        loss = loss_fn(p)
        losses.append(float(loss.item()))
        loss.backward()
        opt.step()
        path.append(p.numpy().copy())
    with minidl.no_grad():
        losses.append(float(loss_fn(p).item()))
    return np.array(path), np.array(losses)


surfaces = {
    'quadratic': dict(fn=quadratic, start=[-4.0, 1.5], steps=40 if FAST else 60, optimizers={
        'SGD (η=0.09)': lambda ps: optim.SGD(ps, lr=0.09),
        'momentum (η=0.02, μ=0.9)': lambda ps: optim.SGD(ps, lr=0.02, momentum=0.9),
        'RMSprop (η=0.1)': lambda ps: optim.RMSprop(ps, lr=0.1),
        'Adam (η=0.3)': lambda ps: optim.Adam(ps, lr=0.3)}),
    'Rosenbrock': dict(fn=rosenbrock, start=[-1.5, 2.0], steps=500, optimizers={
        'SGD (η=5e-4)': lambda ps: optim.SGD(ps, lr=5e-4),
        'momentum (η=5e-4, μ=0.9)': lambda ps: optim.SGD(ps, lr=5e-4, momentum=0.9),
        'RMSprop (η=0.01)': lambda ps: optim.RMSprop(ps, lr=0.01),
        'Adam (η=0.1)': lambda ps: optim.Adam(ps, lr=0.1)}),
}
runs = {}
for surface, spec in surfaces.items():
    for label, make in spec['optimizers'].items():
        runs[surface, label] = optimize(spec['fn'], make, spec['start'], spec['steps'])
        path, losses = runs[surface, label]
        print(f"{surface:>10} {label:<26} final loss {losses[-1]:.2e} at ({path[-1, 0]:+.3f}, {path[-1, 1]:+.3f})")

# %%
colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728']
fig, axes = plt.subplots(2, 2, figsize=(13, 10), gridspec_kw=dict(height_ratios=[1.15, 1]))
grids = {'quadratic': (np.linspace(-4.5, 4.5, 300), np.linspace(-2, 2, 300)),
         'Rosenbrock': (np.linspace(-2, 2, 300), np.linspace(-1, 3, 300))}
for column, (surface, spec) in enumerate(surfaces.items()):
    gx, gy = np.meshgrid(*grids[surface])
    z = 0.5 * (gx ** 2 + 20 * gy ** 2) if surface == 'quadratic' else (1 - gx) ** 2 + 100 * (gy - gx ** 2) ** 2
    ax = axes[0, column]
    ax.contour(gx, gy, z, levels=np.logspace(-2, 3.5, 20), cmap='viridis', linewidths=0.8, alpha=0.7)
    minimum = (0, 0) if surface == 'quadratic' else (1, 1)
    ax.plot(*minimum, '*', color='gold', ms=16, mec='black', label='minimum', zorder=5)
    for color, label in reversed(list(zip(colors, spec['optimizers']))):   # SGD drawn last, on top
        path, _ = runs[surface, label]
        ax.plot(path[:, 0], path[:, 1], '.-', color=color, lw=1.3, ms=3, label=label)
    ax.plot(*spec['start'], 'ko', ms=6)
    ax.set_xlim(grids[surface][0][[0, -1]])
    ax.set_ylim(grids[surface][1][[0, -1]])
    ax.set_xlabel('x')
    ax.set_ylabel('y')
    title = 'L = ½(x² + 20y²)' if surface == 'quadratic' else 'L = (1−x)² + 100(y−x²)²'
    ax.set_title(f"{surface}: {title}, {spec['steps']} steps from the black dot")
    ax.legend(fontsize=8.5, loc='lower right' if surface == 'quadratic' else 'upper right', framealpha=0.95)
    ax = axes[1, column]
    for color, label in zip(colors, spec['optimizers']):
        ax.semilogy(runs[surface, label][1], color=color, label=label)
    ax.set_xlabel('step')
    ax.set_ylabel('loss (log scale)')
    ax.set_title(f"{surface}: loss per step")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8.5)
fig.suptitle('Optimizer paths on 2-D loss surfaces (minidl optimizers on a 2-element Parameter)')
fig.tight_layout()
fig.savefig(figure_path('08_optimizer_paths.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![optimizer paths](figures/08_optimizer_paths.png)
#
# On the quadratic, SGD zig-zags across the narrow y direction (1 − 0.09·20 = −0.8: each step
# overshoots and flips sign) while it creeps along x. Momentum overshoots too, but its
# velocity builds up along x. RMSprop and Adam rescale each coordinate, so they head almost
# diagonally for the minimum: a curvature-independent step. On Rosenbrock, SGD with a rate
# small enough to survive the steep walls barely moves along the flat floor; momentum
# accelerates along it, Adam gets closest to (1, 1), and RMSprop (no momentum) wanders
# with steps of nearly constant size η.
#
# ## 2. Too low, too high: the 2/L rule
#
# On the quadratic, the y coordinate evolves as $y_{t+1} = (1 - \eta L)\, y_t$ with L = 20:
#
# * η ≪ 1/L: a factor close to 1, the loss **crawls** down;
# * η = 1/L: the best single rate for y (it reaches 0 in one step);
# * 1/L < η < 2/L: |1 − ηL| < 1 but negative: **oscillates** and still converges (here it
#   ends lowest: the slow coordinate x shrinks by (1 − η) per step, so it wants η as large
#   as the sharp one allows);
# * η > 2/L: |1 − ηL| > 1, the loss **diverges** exponentially.
#
# A neural network is not a quadratic, but near a minimum it looks like one whose sharpest
# curvature L is the largest eigenvalue of the Hessian, and the same rule holds locally: the
# largest learning rate that trains is about 2/L. That is why "lower the learning rate" is
# the first fix for a loss that explodes, and why a loss that barely moves needs a higher one.

# %%
lr_steps = 40 if FAST else 60
rates = {'too low (η=0.002)': 0.002, 'good (η=1/L=0.05)': 0.05, 'oscillating (η=0.095)': 0.095,
         'divergent (η=0.105)': 0.105}
lr_runs = {label: optimize(quadratic, lambda ps, lr=lr: optim.SGD(ps, lr=lr), [-4.0, 1.5], lr_steps)
           for label, lr in rates.items()}
for label, (path, losses) in lr_runs.items():
    print(f"{label:<24} loss {losses[0]:.2f} -> {losses[-1]:.3g}")

fig, axes = plt.subplots(1, 2, figsize=(13, 4.6))
for color, (label, (path, losses)) in zip(colors, lr_runs.items()):
    axes[0].semilogy(losses, color=color, label=label)
    axes[1].plot(path[:, 1], color=color, label=label)
axes[0].set_xlabel('step')
axes[0].set_ylabel('loss (log scale)')
axes[0].set_title('SGD on ½(x² + 20y²): loss; the threshold is η = 2/L = 0.1')
axes[0].legend(fontsize=9)
axes[0].grid(alpha=0.3)
axes[1].set_xlabel('step')
axes[1].set_ylabel('y (the sharp coordinate)')
axes[1].set_ylim(-6, 6)
axes[1].set_title('y_t = (1 − 20η)ᵗ y₀: crawl, converge, oscillate, diverge')
axes[1].legend(fontsize=9)
axes[1].grid(alpha=0.3)
fig.tight_layout()
fig.savefig(figure_path('08_learning_rates.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![learning rates](figures/08_learning_rates.png)
#
# ## 3. Learning-rate schedules
#
# A constant rate is a compromise: large early (fast progress, and the noise of large steps
# helps escape poor regions) is too large late (the iterates bounce around the minimum at a
# distance that grows with η). A **schedule** changes η as training goes on. All but one of
# those in `minidl.optim.lr_scheduler` are a closed-form function of the step t (base rate η₀):
#
# | schedule | η_t |
# |---|---|
# | `StepLR(step_size=s, gamma=γ)` | η₀ γ^⌊t/s⌋ |
# | `MultiStepLR(milestones, gamma=γ)` | η₀ γ^(number of milestones ≤ t) |
# | `ExponentialLR(gamma=γ)` | η₀ γᵗ |
# | `CosineAnnealingLR(T_max)` | η_min + (η₀ − η_min)(1 + cos(π t / T_max)) / 2 |
# | `CosineAnnealingWarmRestarts(T_0, T_mult)` | the cosine, restarted after T_0, T_0·T_mult, ... steps (SGDR, Loshchilov & Hutter 2017) |
# | `LinearLR(start_factor, total_iters)` | η₀ · (start_factor → 1 linearly over total_iters): a warm-up |
# | `OneCycleLR(max_lr)` | up from max_lr/25 to max_lr over 30% of the steps, then cosine down to ~0 (Smith & Topin 2019) |
# | `SequentialLR([LinearLR, CosineAnnealingLR])` | warm-up, then cosine: the modern default |
# | `InverseTimeDecay(decay_rate, decay_steps)` | η₀ / (1 + rate · t / decay_steps) |
# | `LambdaLR(lr_lambda)` | η₀ · lr_lambda(t), for any function you write (e.g. `lambda t: 0.5 ** t`) |
#
# (`ReduceLROnPlateau` is the one schedule that is not a function of t: it divides η when the
# validation loss stops improving.) We drive the nine built-in formulas — every row of the
# table but `LambdaLR`, which is whatever you make it — for 100 steps on a dummy optimizer
# with η₀ = 0.1 and record `get_last_lr()`.

# %%
n_sched = 100


def lr_curve(make_scheduler, lr=0.1, optimizer_class=optim.SGD, **optimizer_args):
    opt = optimizer_class([Parameter(minidl.zeros(1))], lr=lr, **optimizer_args)
    scheduler = make_scheduler(opt)
    lrs = []
    for _ in range(n_sched):
        lrs.append(scheduler.get_last_lr()[0])
        opt.step()
        scheduler.step()
    return np.array(lrs)


schedules = {
    'StepLR(step_size=30, γ=0.5)': lambda o: lr_scheduler.StepLR(o, step_size=30, gamma=0.5),
    'MultiStepLR([40, 70], γ=0.2)': lambda o: lr_scheduler.MultiStepLR(o, milestones=[40, 70], gamma=0.2),
    'ExponentialLR(γ=0.97)': lambda o: lr_scheduler.ExponentialLR(o, gamma=0.97),
    'InverseTimeDecay(rate=1, steps=10)': lambda o: lr_scheduler.InverseTimeDecay(o, decay_rate=1.0, decay_steps=10),
    'CosineAnnealingLR(T_max=100)': lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=n_sched),
    'CosineAnnealingWarmRestarts(T_0=20, T_mult=2)': lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=20, T_mult=2),
    'LinearLR(start=0.1, 20 steps): warm-up': lambda o: lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=20),
    'OneCycleLR(max_lr=0.1)': lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=n_sched),
    'SequentialLR: 10 warm-up + cosine': lambda o: lr_scheduler.SequentialLR(
        o, [lr_scheduler.LinearLR(o, start_factor=0.01, total_iters=10),
            lr_scheduler.CosineAnnealingLR(o, T_max=n_sched - 10)], milestones=[10]),
}
curves = {name: lr_curve(make, momentum=0.9) for name, make in schedules.items()}

fig, axes = plt.subplots(3, 3, figsize=(13, 9.5), sharex=True, sharey=True)
for ax, (name, lrs) in zip(axes.ravel(), curves.items()):
    ax.plot(lrs, color='#1f77b4', lw=2)
    ax.set_title(name, fontsize=10)
    ax.grid(alpha=0.3)
    ax.set_ylim(0, 0.108)
for ax in axes[-1]:
    ax.set_xlabel('step t')
for ax in axes[:, 0]:
    ax.set_ylabel('learning rate η_t')
fig.suptitle('The built-in schedules of minidl.optim.lr_scheduler, base rate η₀ = 0.1, 100 steps')
fig.tight_layout()
fig.savefig(figure_path('08_schedules.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![schedules](figures/08_schedules.png)
#
# ## 4. Warm-up
#
# Why start *low*? At initialization the weights are random, the gradients are large and
# change direction quickly, and the adaptive optimizers know nothing yet. Adam's first step
# makes this precise: with m₁ = (1−β₁)g and v₁ = (1−β₂)g², the bias-corrected ratio is
#
# $$ \frac{\hat m_1}{\sqrt{\hat v_1}} = \frac{g}{|g|} = \operatorname{sign}(g), $$
#
# so **every weight moves by the full η at step 1**, whatever the size of its gradient — even
# a weight whose gradient is tiny noise. With η chosen for late training, that is a large,
# random kick to every weight at once. A linear warm-up (Goyal et al., 2017, who used it to
# train with large batches and a proportionally large rate; Vaswani et al., 2017, for
# transformers) lets the optimizer's statistics settle before the steps get big. We measure
# the mean |Δw| / η of Adam's first 30 updates on a small MLP on digits, with a constant η and
# with `LinearLR(start_factor=0.01, total_iters=20)`.

# %%
x_digits, y_digits = minidl.data.load_digits()
X = minidl.tensor(x_digits.reshape(len(x_digits), -1))
Y = minidl.tensor(y_digits)


def adam_update_sizes(warmup, lr=0.01, n_steps=30, seed=0):
    minidl.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = optim.Adam(model.parameters(), lr=lr)
    scheduler = lr_scheduler.LinearLR(opt, start_factor=0.01, total_iters=20) if warmup else None
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    sizes = []
    for _ in range(n_steps):
        batch = rng.integers(0, len(X), 64)
        before = model[0].weight.numpy().copy()
        opt.zero_grad()
        loss_fn(model(X[batch]), Y[batch]).backward()
        opt.step()
        sizes.append(np.abs(model[0].weight.numpy() - before).mean() / lr)
        if scheduler is not None:
            scheduler.step()
    return np.array(sizes)


update_sizes = {'constant η': adam_update_sizes(False), 'linear warm-up over 20 steps': adam_update_sizes(True)}
for name, sizes in update_sizes.items():
    print(f"{name:<28} mean |Δw| / η at step 1: {sizes[0]:.3f}, steps 1-5: {sizes[:5].mean():.3f}")

fig, axes = plt.subplots(1, 2, figsize=(13, 4.4))
axes[0].plot(curves['SequentialLR: 10 warm-up + cosine'], label='warm-up (10) + cosine', lw=2)
axes[0].plot(curves['CosineAnnealingLR(T_max=100)'], '--', label='cosine only', lw=2)
axes[0].set_xlabel('step t')
axes[0].set_ylabel('learning rate η_t')
axes[0].set_title('Warm-up then cosine decay (SequentialLR)')
axes[0].legend()
axes[0].grid(alpha=0.3)
for name, sizes in update_sizes.items():
    axes[1].plot(np.arange(1, len(sizes) + 1), sizes, 'o-', ms=4, label=name)
axes[1].set_xlabel('Adam step')
axes[1].set_ylabel('mean |Δw| / η  (first layer)')
axes[1].set_title('Adam (η = 0.01) on digits: size of the first updates')
axes[1].legend()
axes[1].grid(alpha=0.3)
fig.tight_layout()
fig.savefig(figure_path('08_warmup.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![warm-up](figures/08_warmup.png)
#
# With a constant η, Adam's first update moves the average first-layer weight by 0.71 η:
# every weight with a nonzero gradient moves by η (0.9997 η on average), but 29% of them get
# g = 0 and do not move — those of the inputs that are 0 throughout the batch (17% of the
# pixels: the blank borders of the digits) and those of the hidden units that are off on the
# whole batch (9%). With the warm-up the first update is 100 times smaller and grows
# linearly to full size. After the warm-up both take steps of the same order: warm-up only
# changes the start.
#
# ## 5. The claim, checked

# %%
quad_final = {label: losses[-1] for label, (_, losses) in lr_runs.items()}
rosen_final = {label.split(' ')[0]: runs['Rosenbrock', label][1][-1] for label in surfaces['Rosenbrock']['optimizers']}
ratio = update_sizes['constant η'][0] / update_sizes['linear warm-up over 20 steps'][0]
print("quadratic, final loss by learning rate:", {k: f"{v:.3g}" for k, v in quad_final.items()})
print("Rosenbrock, final loss by optimizer:", {k: f"{v:.3g}" for k, v in rosen_final.items()})
print(f"Adam's first update, constant / warm-up: {ratio:.0f}x")
start_loss = lr_runs['good (η=1/L=0.05)'][1][0]
# below 2/L every rate decreases the loss; above it the loss grows
assert quad_final['too low (η=0.002)'] < start_loss and quad_final['good (η=1/L=0.05)'] < 1e-2 * start_loss < quad_final['too low (η=0.002)']
assert quad_final['oscillating (η=0.095)'] < 1e-2 * start_loss
assert quad_final['divergent (η=0.105)'] > 10 * start_loss
# momentum and Adam end at least 10 times lower than SGD on Rosenbrock
assert rosen_final['momentum'] < 0.1 * rosen_final['SGD'] and rosen_final['Adam'] < 0.1 * rosen_final['SGD'], rosen_final
# the schedules hit their closed forms
assert np.isclose(curves['StepLR(step_size=30, γ=0.5)'][65], 0.1 * 0.5 ** 2)
assert np.isclose(curves['CosineAnnealingLR(T_max=100)'][50], 0.05)
assert np.isclose(curves['OneCycleLR(max_lr=0.1)'].max(), 0.1)
assert np.isclose(curves['InverseTimeDecay(rate=1, steps=10)'][10], 0.05)
# Adam's first step is ~η per weight without warm-up, ~100x smaller with it
assert update_sizes['constant η'][0] > 0.5 and 50 < ratio < 200, (update_sizes, ratio)
print("OK: the 2/L rule holds, momentum/Adam beat SGD on Rosenbrock by >= 10x, and warm-up shrinks "
      "Adam's first updates ~100x.")
