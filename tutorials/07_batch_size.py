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
# # Tutorial 7 — Batch size: gradient noise, speed, and the linear scaling rule
#
# Stochastic gradient descent does not follow the gradient of the training loss: it follows
# the gradient of a **mini-batch** of B examples, a noisy estimate of it. The batch size sets
# how noisy, how much one step costs, and how many steps an epoch has. This tutorial measures
#
# 1. the **noise**: the variance of the mini-batch gradient around the full gradient, for
#    B = 1 … 256, against the theory σ²/B;
# 2. the **speed**: steps per second and examples per second for several B (larger batches
#    make better use of the hardware — up to a point);
# 3. the **linear scaling rule** (Goyal et al., 2017): when B is multiplied by k, multiply the
#    learning rate by k, and the training curves (per epoch) stay about the same.
#
# The claim we check at the end: **the variance of the mini-batch gradient falls as 1/B (the
# log-log slope is within [-1.3, -0.7], and the measurements match σ²/B·(N−B)/(N−1)); and with
# the learning rate scaled in proportion to B, batch sizes 16 to 256 reach similar losses after
# the same number of epochs, while with a fixed learning rate large batches fall far behind.**

# %%
import os
import sys
import time

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
from minidl.data import DataLoader, StandardScaler, TensorDataset, load_digits, train_val_test_split  # noqa: E402

minidl.manual_seed(0)

# %% [markdown]
# ## 1. The noise of a mini-batch gradient
#
# Let $g_i = \nabla_\theta \ell(x_i, y_i; \theta)$ be the gradient of example i's loss and
# $g = \frac1N\sum_i g_i$ the full-batch gradient of the training loss. A mini-batch $\mathcal B$
# of B examples drawn at random gives $g_\mathcal{B} = \frac1B\sum_{i\in\mathcal B} g_i$, an
# unbiased estimate: $E[g_\mathcal{B}] = g$. Its noise, measured as the expected squared
# distance to g (the trace of its covariance), is
#
# $$ E\,\|g_\mathcal{B} - g\|^2 = \frac{\sigma^2}{B}\cdot\frac{N-B}{N-1}, \qquad
#    \sigma^2 = \frac1N\sum_i \|g_i - g\|^2 , $$
#
# where σ² is the spread of the per-example gradients and the second factor is the
# *finite-population correction* for drawing without replacement (it is ≈ 1 for B ≪ N and
# 0 for B = N: the full batch has no noise). So the noise falls like **1/B**: quadrupling the
# batch halves the standard deviation of the gradient. Each step costs B examples, so for a
# fixed budget of examples, B steps of size 1 and one step of size B have the same total noise
# — which is why the learning rate must grow with B (section 3).
#
# The experiment: the digits (1,797 images 8 × 8, standardized), a 64-64-10 ReLU MLP after a
# short warm-up of training (so that we look at a typical point of training, not the
# initialization). We compute g on N training examples, every per-example gradient $g_i$ (one
# backward pass each) for σ², and then, for each B, the squared error of many random
# mini-batch gradients.

# %%
images, labels = load_digits()
x_all = images.reshape(len(images), -1)
(x_train, y_train), (x_test, y_test), _ = train_val_test_split(x_all, labels, fractions=(0.7, 0.3, 0.0), seed=0)
scaler = StandardScaler().fit(x_train)
x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
loss_fn = nn.CrossEntropyLoss()


def make_model():
    minidl.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


model = make_model()
warm_up = optim.SGD(model.parameters(), lr=0.05)
for xb, yb in DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True, seed=0):
    warm_up.zero_grad()
    loss_fn(model(xb), yb).backward()
    warm_up.step()

N = 400 if FAST else 1000
x_pop, y_pop = x_train[:N], y_train[:N]
params = list(model.parameters())


def gradient(x, y):
    """The gradient of the mean loss over (x, y), flattened into one NumPy vector."""
    model.zero_grad()
    loss_fn(model(minidl.tensor(x)), minidl.tensor(y)).backward()
    return np.concatenate([p.grad.numpy().ravel() for p in params]).astype(np.float64)


g_full = gradient(x_pop, y_pop)
per_example = np.stack([gradient(x_pop[i:i + 1], y_pop[i:i + 1]) for i in range(N)])
sigma2 = np.mean(np.sum((per_example - g_full) ** 2, axis=1))
print(f"{len(g_full)} parameters; |g| = {np.linalg.norm(g_full):.3f}; sigma^2 = {sigma2:.3f} "
      f"(mean per-example gradient {np.linalg.norm(per_example.mean(0) - g_full):.1e} from g: consistent)")

rng = np.random.default_rng(0)
batch_sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256]
draws = 40 if FAST else 150
measured = []
for B in batch_sizes:
    errors = []
    for _ in range(draws):
        index = rng.choice(N, size=B, replace=False)
        errors.append(np.sum((gradient(x_pop[index], y_pop[index]) - g_full) ** 2))
    measured.append(np.mean(errors))
measured = np.array(measured)
B_array = np.array(batch_sizes, dtype=float)
theory = sigma2 / B_array * (N - B_array) / (N - 1)
slope, intercept = np.polyfit(np.log(B_array), np.log(measured), 1)
for B, m, t in zip(batch_sizes, measured, theory):
    print(f"B = {B:4d}: E|g_B - g|^2 = {m:9.4f}   theory {t:9.4f}   ratio {m / t:.2f}")
print(f"log-log slope {slope:.3f}")

# %%
fig, ax = plt.subplots(figsize=(7.5, 5))
ax.loglog(batch_sizes, measured, 'o', ms=7, label=f'measured ({draws} random batches each)')
ax.loglog(batch_sizes, theory, '-', label='theory σ²/B · (N−B)/(N−1)')
ax.loglog(batch_sizes, sigma2 / B_array, ':', color='gray', label='σ²/B (sampling with replacement)')
ax.loglog(batch_sizes, np.exp(intercept) * B_array ** slope, '--', color='#d62728', lw=1,
          label=f'least-squares fit: slope {slope:.2f}')
ax.set_xlabel('batch size B')
ax.set_ylabel('E ‖g_B − g‖²  (squared error of the mini-batch gradient)')
ax.set_title(f'Gradient noise vs batch size (digits MLP, N = {N})')
ax.set_xticks(batch_sizes)
ax.set_xticklabels([str(b) for b in batch_sizes])
ax.legend(fontsize=9)
ax.grid(alpha=0.3, which='both')
fig.tight_layout()
fig.savefig(figure_path('07_gradient_noise.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![gradient noise vs batch size](figures/07_gradient_noise.png)
#
# The points lie on a straight line of slope −1 on the log-log plot, bending down slightly at
# the largest batches where B is no longer small compared with N (the finite-population
# correction). Compare the size of the noise with the size of the gradient itself, $\|g\|^2$
# (printed above): at B = 1 the noise is many times larger than the signal — single-example
# SGD mostly follows noise — and it takes batches of tens to hundreds before the signal
# dominates.
#
# ## 2. Speed: steps per second and examples per second
#
# A step on B examples does one matrix product of B rows per layer. On a CPU (and much more
# on a GPU) a product of 256 rows costs far less than 256 products of one row: the per-step
# overhead (Python, the framework, launching work) is paid once, and the arithmetic runs on
# wide vector units. So examples per second grow with B until the hardware is busy; beyond
# that a step simply takes B times longer.

# %%
timed_batches = [8, 32, 128, 512] if FAST else [4, 8, 16, 32, 64, 128, 256, 512, 1024]
timed_steps = 15 if FAST else 40
steps_per_second = []
x_big = np.concatenate([x_train] * 2)
y_big = np.concatenate([y_train] * 2)
for B in timed_batches:
    speed_model = make_model()
    opt = optim.SGD(speed_model.parameters(), lr=0.01)
    xb, yb = minidl.tensor(x_big[:B]), minidl.tensor(y_big[:B])
    for _ in range(3):                                      # warm-up steps, not timed
        opt.zero_grad()
        loss_fn(speed_model(xb), yb).backward()
        opt.step()
    start = time.perf_counter()
    for _ in range(timed_steps):
        opt.zero_grad()
        loss_fn(speed_model(xb), yb).backward()
        opt.step()
    steps_per_second.append(timed_steps / (time.perf_counter() - start))
steps_per_second = np.array(steps_per_second)
examples_per_second = steps_per_second * np.array(timed_batches)
for B, s, e in zip(timed_batches, steps_per_second, examples_per_second):
    print(f"B = {B:5d}: {s:8.0f} steps/s  {e:10.0f} examples/s")

fig, ax = plt.subplots(figsize=(7.5, 4.8))
ax.loglog(timed_batches, steps_per_second, 'o-', label='steps / s')
ax.loglog(timed_batches, examples_per_second, 's-', label='examples / s')
ax.set_xlabel('batch size B')
ax.set_ylabel('throughput (log)')
ax.set_title('Training speed of the 64-64-10 MLP on this CPU (NumPy)')
ax.set_xticks(timed_batches)
ax.set_xticklabels([str(b) for b in timed_batches])
ax.legend()
ax.grid(alpha=0.3, which='both')
fig.tight_layout()
fig.savefig(figure_path('07_speed.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![speed vs batch size](figures/07_speed.png)
#
# (Timings depend on your machine and on what else it is running; the shape is what matters.)
# For small B the step time is almost constant — overhead — so examples/s grows nearly in
# proportion to B; for large B the arithmetic dominates and examples/s levels off.
#
# ## 3. The linear scaling rule
#
# One SGD step with batch B and learning rate η moves θ by $-\eta\,g_\mathcal{B}$. Compare
# k small steps of batch B with one big step of batch kB. If the gradient hardly changes over
# k small steps,
#
# $$ \theta - \eta\sum_{j=1}^{k} g_{\mathcal B_j} \;\approx\; \theta - k\eta \cdot
#    \underbrace{\tfrac1k\textstyle\sum_j g_{\mathcal B_j}}_{g_{k\mathcal B}} , $$
#
# so the big batch matches the k small steps if its learning rate is **kη**: the learning rate
# should grow in proportion to the batch size (Krizhevsky, 2014; Goyal et al., 2017, who trained
# ImageNet with batches of 8,192 this way). The noise agrees: the step's noise
# $\eta^2\sigma^2/B$ per step, over N/B steps per epoch, is the same per epoch when η ∝ B. The
# rule fails when kη becomes too large for the curvature (the approximation "the gradient
# hardly changes" breaks) — hence warm-up, and an upper limit on useful batch sizes.
#
# The experiment: plain SGD on the digits with B = 16, 64, 256, for the same number of
# epochs, with the learning rate either fixed at 0.02 or scaled as 0.02 · B/16.

# %%
epochs = 4 if FAST else 8
base_lr, base_batch = 0.02, 16
scaling_batches = [16, 64, 256]
X_train_all, Y_train_all = minidl.tensor(x_train), minidl.tensor(y_train)


def train_loss(m):
    with minidl.no_grad():
        return float(loss_fn(m(X_train_all), Y_train_all).item())


curves = {}
for B in scaling_batches:
    for rule in ('fixed', 'scaled'):
        lr = base_lr * (B / base_batch if rule == 'scaled' else 1)
        if B == base_batch and rule == 'scaled':
            curves[(B, rule)] = curves[(B, 'fixed')]
            continue
        m = make_model()
        opt = optim.SGD(m.parameters(), lr=lr)
        loader = DataLoader(TensorDataset(x_train, y_train), batch_size=B, shuffle=True, seed=0)
        losses = [train_loss(m)]
        for epoch in range(epochs):
            for xb, yb in loader:
                opt.zero_grad()
                loss_fn(m(xb), yb).backward()
                opt.step()
            losses.append(train_loss(m))
        curves[(B, rule)] = (lr, np.array(losses))
        print(f"B = {B:4d}, lr {rule:6s} = {lr:.3f}: training loss per epoch {np.round(losses, 3)}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharey=True)
colors = {16: '#1f77b4', 64: '#ff7f0e', 256: '#2ca02c'}
for ax, rule in zip(axes, ('fixed', 'scaled')):
    for B in scaling_batches:
        lr, losses = curves[(B, rule)]
        ax.semilogy(range(epochs + 1), losses, 'o-', color=colors[B], label=f'B = {B}, lr = {lr:g}')
    ax.set_xlabel('epoch')
    ax.set_title('fixed learning rate' if rule == 'fixed' else 'learning rate ∝ batch size (linear scaling)')
    ax.legend()
    ax.grid(alpha=0.3, which='both')
axes[0].set_ylabel('training loss (full training set, log)')
fig.suptitle('Plain SGD on the digits: training loss per epoch for three batch sizes')
fig.tight_layout()
fig.savefig(figure_path('07_linear_scaling.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![linear scaling rule](figures/07_linear_scaling.png)
#
# With a **fixed** learning rate (left), B = 256 takes 16 times fewer steps per epoch than
# B = 16, each of the same length, and falls far behind per epoch (it would catch up per
# *step*, at 16 times the cost per step). With the learning rate **scaled** (right), the three
# curves nearly coincide: per epoch — per example seen — the batch size hardly matters, and
# the larger batch gets there in fewer, cheaper-per-example steps (section 2). This is what
# makes data-parallel training on many GPUs work.
#
# ## 4. The claim, checked

# %%
final = {key: value[1][-1] for key, value in curves.items()}
spread_fixed = max(final[(B, 'fixed')] for B in scaling_batches) / min(final[(B, 'fixed')] for B in scaling_batches)
spread_scaled = max(final[(B, 'scaled')] for B in scaling_batches) / min(final[(B, 'scaled')] for B in scaling_batches)
print(f"gradient variance: log-log slope {slope:.3f}; measured / theory in "
      f"[{np.min(measured / theory):.2f}, {np.max(measured / theory):.2f}]")
print(f"final training loss, max/min over B: fixed lr {spread_fixed:.2f}, scaled lr {spread_scaled:.2f}")
assert -1.3 <= slope <= -0.7, slope
assert np.all((0.7 < measured / theory) & (measured / theory < 1.3)), measured / theory
assert spread_scaled < 1.5 < spread_fixed, (spread_scaled, spread_fixed)
assert final[(256, 'scaled')] < 0.5 * final[(256, 'fixed')], final
assert examples_per_second[-1] > examples_per_second[0], examples_per_second
print("OK: mini-batch gradient variance falls as 1/B; with lr proportional to B, batch sizes 16-256 train alike per epoch.")
