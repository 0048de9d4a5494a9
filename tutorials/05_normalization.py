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
# # Tutorial 5 — Normalization: standardized inputs, BatchNorm and LayerNorm
#
# Gradient descent is fastest when the loss surface is *round*: when every direction has
# about the same curvature, one learning rate suits them all. Badly scaled inputs and
# activations make it a long, narrow valley instead, where a learning rate small enough for
# the steep direction crawls along the flat one, and a larger one bounces off the walls.
# Normalization reshapes the problem so that it is rounder:
#
# * **input standardization**: $x \mapsto (x - \mu)/\sigma$ per feature, with μ and σ from the
#   training set — once, before training;
# * **BatchNorm** (Ioffe & Szegedy, 2015): inside the network, normalize each unit over the
#   **mini-batch**, then rescale with learned γ, β;
# * **LayerNorm** (Ba et al., 2016): the same, but over the **units of one sample**.
#
# We train the same MLP on the UCI digits four ways — raw inputs, standardized inputs,
# standardized + BatchNorm, standardized + LayerNorm — at eight learning rates from 0.001 to 3
# (four in FAST mode), and compare
# how fast the loss falls and which learning rates each one survives. Then we look at the
# subtle part of BatchNorm: it behaves differently in training and in evaluation.
#
# The claim we check at the end: **with standardized inputs plain SGD reaches a lower loss
# (each at its best learning rate) than with raw inputs; BatchNorm and LayerNorm reach a lower
# loss than the plain standardized network at every shared learning rate up to 0.3, and work
# over a wider range of learning rates — BatchNorm even at lr = 3, where the networks without
# it fail; and in evaluation BatchNorm uses running statistics that match the training set's,
# while batch statistics make predictions on small batches worse.**

# %%
import math
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
from minidl.data import DataLoader, StandardScaler, TensorDataset, load_digits, train_val_test_split  # noqa: E402

minidl.manual_seed(0)

# %% [markdown]
# ## 1. The data, raw and standardized
#
# The UCI digits are 8 × 8 images whose pixels were stored as counts from 0 to 16;
# `load_digits` divides them by 16. We multiply back to get the data **as stored** — all
# features positive, with means from 0 to about 12 and very different spreads (the border
# pixels are almost always 0; the central ones vary a lot). Standardizing uses the training
# set's mean and std only (the validation set is transformed with the same numbers, as new
# data would be).

# %%
images, labels = load_digits()
raw = images.reshape(len(images), -1) * 16.0
(x_train_raw, y_train), (x_val_raw, y_val), _ = train_val_test_split(raw, labels, fractions=(0.7, 0.3, 0.0), seed=0)
scaler = StandardScaler().fit(x_train_raw)
x_train_std, x_val_std = scaler.transform(x_train_raw), scaler.transform(x_val_raw)
print(f"train {len(y_train)}, val {len(y_val)}")
print(f"raw features: means {x_train_raw.mean(0).min():.1f} .. {x_train_raw.mean(0).max():.1f}, "
      f"stds {x_train_raw.std(0).min():.2f} .. {x_train_raw.std(0).max():.2f}")

# %% [markdown]
# Why the raw scale hurts. For a first-layer unit $z = w^\top x + b$, the gradient is
# $\partial L/\partial w = \delta\,x$ with $\delta = \partial L/\partial z$: every weight of a
# unit moves by a multiple of **the same** input vector. With all-positive inputs, all the
# weights of a unit go up together or down together on each example (a zig-zag path towards
# any optimum that needs mixed signs; LeCun et al., *Efficient BackProp*, 1998), and features
# with large values get large steps while those with small values hardly move: the Hessian of
# the first layer scales like $E[xx^\top]$, whose eigenvalues here span orders of magnitude.
# Centring removes the shared sign, scaling equalizes the step sizes.
#
# ## 2. BatchNorm and LayerNorm
#
# For a mini-batch of pre-activations $z_{b,j}$ (sample b, unit j), **BatchNorm** computes,
# per unit j, over the batch,
#
# $$ \mu_j = \frac1B\sum_b z_{b,j}, \quad \sigma_j^2 = \frac1B\sum_b (z_{b,j}-\mu_j)^2, \quad
#    \hat z_{b,j} = \frac{z_{b,j}-\mu_j}{\sqrt{\sigma_j^2+\varepsilon}}, \quad
#    y_{b,j} = \gamma_j \hat z_{b,j} + \beta_j . $$
#
# Every unit's input is kept at mean 0 and variance 1 whatever the weights below do, so the
# scale of a layer's weights no longer changes what the next layer sees: the output is
# invariant to $W \mapsto cW$, and the effective step on W shrinks as W grows — a built-in
# brake that makes large learning rates survivable. The learned γ, β give back the freedom
# to choose any mean and scale. **LayerNorm** uses the same formula with the mean and
# variance taken over the units j of each sample instead of over the batch, so it does not
# depend on the other samples (the same in training and evaluation; the norm of choice for
# transformers and small batches).
#
# Where BatchNorm needs care: in evaluation a prediction must not depend on what else is in
# the batch, so BatchNorm keeps **running averages** of μ and σ² during training,
# $\text{running} \leftarrow (1-m)\,\text{running} + m\,\text{batch}$ with momentum m = 0.1,
# and `model.eval()` switches to them (section 5).
#
# ## 3. The experiment
#
# A 64-128-128-10 MLP with ReLU, plain SGD on mini-batches of 64, the same initial weights
# (same seed) in each configuration; the normalization layers go between each hidden Linear
# and its ReLU.

# %%
def make_model(norm):
    minidl.manual_seed(0)
    layers, width_in = [], 64
    for _ in range(2):
        layers.append(nn.Linear(width_in, 128))
        if norm == 'batch':
            layers.append(nn.BatchNorm1d(128))
        elif norm == 'layer':
            layers.append(nn.LayerNorm(128))
        layers.append(nn.ReLU())
        width_in = 128
    layers.append(nn.Linear(128, 10))
    return nn.Sequential(*layers)


configs = {  # name: (training inputs, validation inputs, normalization layer)
    'raw inputs': (x_train_raw, x_val_raw, None),
    'standardized': (x_train_std, x_val_std, None),
    'standardized + BatchNorm': (x_train_std, x_val_std, 'batch'),
    'standardized + LayerNorm': (x_train_std, x_val_std, 'layer'),
}
learning_rates = [0.003, 0.03, 0.3, 3.0] if FAST else [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
epochs = 5 if FAST else 10
loss_fn = nn.CrossEntropyLoss()


def train(name, lr):
    """Train one configuration; returns (per-epoch mean training loss, validation accuracy,
    model). A run whose loss becomes NaN/inf is stopped and marked diverged (accuracy 0.1:
    chance)."""
    x_tr, x_va, norm = configs[name]
    model = make_model(norm)
    optimizer = optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(x_tr, y_train), batch_size=64, shuffle=True, seed=0)
    losses = []
    for epoch in range(epochs):
        total, count = 0.0, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            if not math.isfinite(loss.item()):
                return losses + [math.nan] * (epochs - epoch), 0.1, model
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * len(yb), count + len(yb)
        losses.append(total / count)
    model.eval()
    with minidl.no_grad():
        accuracy = float((model(minidl.tensor(x_va)).numpy().argmax(1) == y_val).mean())
    model.train()
    return losses, accuracy, model


results, models = {}, {}
with np.errstate(over='ignore', invalid='ignore'):          # diverging runs overflow: expected
    for name in configs:
        for lr in learning_rates:
            losses, accuracy, model = train(name, lr)
            results[(name, lr)] = (np.array(losses), accuracy)
            models[(name, lr)] = model
        print(f"{name:26s} final training loss per lr: " +
              "  ".join(f"{lr:g}: {results[(name, lr)][0][-1]:.3f}" for lr in learning_rates))
        print(f"{name:26s} val accuracy per lr: " +
              "  ".join(f"{lr:g}: {results[(name, lr)][1]:.3f}" for lr in learning_rates))

# %%
colors = {'raw inputs': '#7f7f7f', 'standardized': '#1f77b4', 'standardized + BatchNorm': '#d62728',
          'standardized + LayerNorm': '#2ca02c'}


def final_loss(name, lr):
    loss = results[(name, lr)][0][-1]
    return loss if math.isfinite(loss) else math.inf


best_lr = {name: min(learning_rates, key=lambda lr: final_loss(name, lr)) for name in configs}
best_loss = {name: final_loss(name, best_lr[name]) for name in configs}
print("best learning rate and final training loss:", {n: (best_lr[n], round(best_loss[n], 3)) for n in configs})

fig, (ax_c, ax_lr) = plt.subplots(1, 2, figsize=(13, 4.8))
for name in configs:
    losses, _ = results[(name, best_lr[name])]
    ax_c.semilogy(np.arange(1, epochs + 1), losses, 'o-', color=colors[name], label=f"{name} (lr {best_lr[name]:g})")
ax_c.set_xlabel('epoch')
ax_c.set_ylabel('mean training loss in the epoch (log)')
ax_c.set_title('Training loss, plain SGD, each at its best learning rate')
ax_c.legend(fontsize=9)
ax_c.grid(alpha=0.3, which='both')
for name in configs:
    ax_lr.semilogx(learning_rates, [results[(name, lr)][1] for lr in learning_rates], 'o-',
                   color=colors[name], label=name)
ax_lr.axhline(0.1, color='k', ls=':', lw=1, label='chance (or diverged)')
ax_lr.set_xlabel('learning rate (log)')
ax_lr.set_ylabel(f'validation accuracy after {epochs} epochs')
ax_lr.set_title('Which learning rates work')
ax_lr.set_ylim(0, 1.02)
ax_lr.legend(fontsize=9, loc='lower center')
ax_lr.grid(alpha=0.3, which='both')
fig.tight_layout()
fig.savefig(figure_path('05_speed_and_lr.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![training speed and learning-rate tolerance](figures/05_speed_and_lr.png)
#
# What to look at. **Right** first: each curve is a window of working learning rates. The
# raw-input network works up to lr = 0.1 and fails from 0.3 on (the loss blows up or the
# ReLUs die): its inputs are up to 16, so its steepest direction is very steep. Note that at
# every rate up to 0.1 the raw network is *ahead* of the standardized one (at 0.01: loss 0.21
# against 2.01) — its large inputs act like a larger learning rate for the first layer — so
# comparing the two at one shared learning rate would be unfair either way. **Left**: compared
# each at its own best rate, standardized inputs reach a much lower loss than raw ones (0.002
# at lr = 1 against 0.027 at lr = 0.1). BatchNorm and LayerNorm widen the window to the left:
# at every shared rate up to 0.3 they reach a lower loss than the plain network with the same
# inputs (at 0.01: 0.55 and 0.43 against 2.01; the printed table above; every layer sees
# unit-scale inputs, so no layer is starved of gradient), and BatchNorm widens it to the
# right: even lr = 3 with plain SGD trains (its scale invariance at work), where the networks
# without it fail. But the plain standardized network's best rate is the highest it
# survives, and there it catches up within the same 10 epochs: at lr = 1 it ends at a loss
# of 0.0021, level with LayerNorm's 0.0019 and below BatchNorm's 0.014 (BatchNorm's best, at
# 0.3 as at 1). Normalization buys speed at moderate rates and robustness to the choice of
# learning rate, not a better final fit.
#
# ## 4. Training vs evaluation statistics in BatchNorm
#
# In training mode (`model.train()`) a BatchNorm layer normalizes with the statistics of the
# current batch, and updates its running averages; in evaluation mode (`model.eval()`) it uses
# the running averages and changes nothing. Two consequences, measured on the BatchNorm network
# trained at its best learning rate:
#
# 1. The running mean and variance should estimate the statistics of the layer's inputs over
#    the whole training set, computed with the final weights. We compute those directly and
#    compare.
# 2. In training mode a prediction depends on the rest of the batch. On batches of 2 the batch
#    statistics are very noisy (with B = 2, every unit is normalized to exactly ±1!), and
#    accuracy drops; evaluation mode gives the same answer for a sample whatever its batch.

# %%
bn_model = models[('standardized + BatchNorm', best_lr['standardized + BatchNorm'])]
first_linear, first_bn = bn_model[0], bn_model[1]
with minidl.no_grad():
    z = first_linear(minidl.tensor(x_train_std)).numpy()      # the inputs of the first BatchNorm
population_mean, population_var = z.mean(0), z.var(0)
# .numpy() shares memory with the buffer, which BatchNorm updates in place: take copies
running_mean, running_var = first_bn.running_mean.numpy().copy(), first_bn.running_var.numpy().copy()
mean_error = np.abs(running_mean - population_mean).max() / np.sqrt(population_var).mean()
var_ratio = running_var / population_var
print(f"running vs training-set statistics of BatchNorm 1: max |mean diff| = {mean_error:.3f} std; "
      f"variance ratio {np.median(var_ratio):.3f} (median), {var_ratio.min():.2f} .. {var_ratio.max():.2f}")


def accuracy_in_mode(model, x, y, train_mode, batch_size):
    """Accuracy over the full batches of `batch_size` (a last, smaller batch is left out)."""
    model.train(train_mode)
    correct, n = 0, len(y) // batch_size * batch_size
    with minidl.no_grad():
        for start in range(0, n, batch_size):
            xb = minidl.tensor(x[start:start + batch_size])
            correct += int((model(xb).numpy().argmax(1) == y[start:start + batch_size]).sum())
    model.train()
    return correct / n


# A forward pass in train mode also updates the running statistics: keep a copy to restore.
saved_state = {name: minidl.tensor(value.numpy().copy()) for name, value in bn_model.state_dict().items()}
batch_sizes = [2, 4, 16, 64, 256]
train_mode_accuracy = []
for b in batch_sizes:
    train_mode_accuracy.append(accuracy_in_mode(bn_model, x_val_std, y_val, True, b))
    bn_model.load_state_dict(saved_state)
eval_accuracy = {b: accuracy_in_mode(bn_model, x_val_std, y_val, False, b) for b in (1, len(y_val))}
print("validation accuracy, train mode (batch statistics) per batch size:",
      dict(zip(batch_sizes, np.round(train_mode_accuracy, 3))))
print("validation accuracy, eval mode (running statistics), batch 1 and all at once:", eval_accuracy)

# %%
fig, (ax_m, ax_v, ax_b) = plt.subplots(1, 3, figsize=(15, 4.6))
ax_m.scatter(population_mean, running_mean, s=10)
lims = [population_mean.min(), population_mean.max()]
ax_m.plot(lims, lims, 'k--', lw=1, label='y = x')
ax_m.set_xlabel('mean of the unit over the training set')
ax_m.set_ylabel('running_mean')
ax_m.set_title('BatchNorm 1: running mean vs true mean\n(128 units)')
ax_m.legend()
ax_m.grid(alpha=0.3)
ax_v.scatter(population_var, running_var, s=10, color='#ff7f0e')
lims = [population_var.min(), population_var.max()]
ax_v.plot(lims, lims, 'k--', lw=1, label='y = x')
ax_v.set_xscale('log')
ax_v.set_yscale('log')
ax_v.set_xlabel('variance of the unit over the training set')
ax_v.set_ylabel('running_var')
ax_v.set_title('BatchNorm 1: running variance vs true variance')
ax_v.legend()
ax_v.grid(alpha=0.3)
ax_b.semilogx(batch_sizes, train_mode_accuracy, 'o-', color='#d62728', label='train mode: batch statistics')
ax_b.axhline(eval_accuracy[1], color='#1f77b4', lw=2, label='eval mode: running statistics (any batch)')
ax_b.set_xticks(batch_sizes)
ax_b.set_xticklabels([str(b) for b in batch_sizes])
ax_b.set_xlabel('batch size used for prediction')
ax_b.set_ylabel('validation accuracy')
ax_b.set_title('Predicting with batch vs running statistics')
ax_b.legend(fontsize=9, loc='lower right')
ax_b.grid(alpha=0.3)
fig.tight_layout()
fig.savefig(figure_path('05_batchnorm_train_eval.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![BatchNorm train vs eval](figures/05_batchnorm_train_eval.png)
#
# The running averages land on the diagonal: they are good estimates of the training-set
# statistics (the variance slightly noisier: an exponential average of the last ~10 batch
# variances, each from 64 samples, computed with weights that were still moving). In training
# mode, accuracy depends on the batch size and collapses for tiny batches; in evaluation mode
# it does not depend on the batch at all. **Forgetting `model.eval()` before evaluating is one
# of the most common bugs in deep-learning code** — minidl's `evaluate` and `fit` switch modes
# for you.
#
# ## 5. The claim, checked

# %%
def accuracy_at(name, lr):
    return results[(name, lr)][1]


high_lr = max(learning_rates)
print(f"validation accuracy at lr {high_lr}: " + ", ".join(f"{name} {accuracy_at(name, high_lr):.3f}" for name in configs))
working = {name: [lr for lr in learning_rates if accuracy_at(name, lr) > 0.9] for name in configs}
print("learning rates reaching > 90% validation accuracy:", working)
assert best_loss['standardized'] < 0.6 * best_loss['raw inputs'], best_loss
for lr in [lr for lr in learning_rates if lr <= 0.3]:        # same rate: normalized nets are ahead
    assert final_loss('standardized + BatchNorm', lr) < final_loss('standardized', lr), lr
    assert final_loss('standardized + LayerNorm', lr) < final_loss('standardized', lr), lr
assert accuracy_at('standardized + BatchNorm', high_lr) > 0.9, accuracy_at('standardized + BatchNorm', high_lr)
assert max(accuracy_at(name, high_lr) for name in ('raw inputs', 'standardized')) < 0.5
assert len(working['standardized + BatchNorm']) > len(working['standardized']), working
assert len(working['standardized + LayerNorm']) > len(working['standardized']), working
assert mean_error < 0.1 and 0.7 < np.median(var_ratio) < 1.3, (mean_error, var_ratio)
assert train_mode_accuracy[0] < eval_accuracy[1] - 0.1, (train_mode_accuracy, eval_accuracy)
assert eval_accuracy[1] == eval_accuracy[len(y_val)], eval_accuracy
print("OK: standardization trains faster at the best learning rate; BatchNorm/LayerNorm reach a lower loss at "
      f"every shared rate up to 0.3 and train over a wider range of learning rates (BatchNorm up to {high_lr}); BatchNorm's running statistics match the "
      "training set's, and batch statistics hurt small batches.")
