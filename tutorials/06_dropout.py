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
# # Tutorial 6 — Dropout: overfitting, and what dropping units does about it
#
# Give a big network a small training set and it will **memorize** it: the training loss
# goes to zero while the validation loss, after an early minimum, climbs back up — the
# network becomes more and more confident about answers that do not generalize. **Dropout**
# (Srivastava, Hinton et al., 2014) fights this with noise: during training every hidden unit
# is switched off independently with probability p, on every example, so the network cannot
# rely on any particular unit — or on delicate co-adaptations between units — to fit a
# particular example.
#
# We train a 2-256-256-2 MLP — 67,000 parameters — on only 100 noisy points of the two-moons
# problem, with and without dropout, watch the train/validation curves and the decision
# regions, and then sweep p. (A 2-D problem, so that we can *see* what overfitting looks like.)
#
# The claim we check at the end: **without dropout the network overfits (its validation loss
# ends more than 1.5 times its minimum, far above the training loss); with p = 0.5 the gap between
# validation and training loss is less than half as large, and the validation accuracy is
# at least as good.**

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
from minidl.data import DataLoader, TensorDataset, make_moons  # noqa: E402
from minidl.train import Callback, evaluate, fit  # noqa: E402

minidl.manual_seed(0)

# %% [markdown]
# ## 1. Inverted dropout
#
# For a layer's activations h, training mode draws a mask $m_i \sim \text{Bernoulli}(1-p)$ per
# element and computes
#
# $$ \tilde h_i = \frac{m_i\, h_i}{1 - p}, \qquad E[\tilde h_i] = h_i , $$
#
# and evaluation mode uses $\tilde h = h$. Dividing by $1 - p$ during training (*inverted*
# dropout) keeps the expected activation the same in both modes, so nothing has to be
# rescaled at test time. The backward pass multiplies the gradient by the same mask and
# factor: a dropped unit gets no gradient from that example.
#
# Why it helps, three views: (1) each step trains a different *thinned* network, and
# evaluation approximates the average of exponentially many of them — an ensemble for the
# price of one; (2) noise on the hidden units makes the fit robust: a unit must be useful in
# many random contexts; (3) for a linear model, dropout on the inputs is equivalent in
# expectation to an adaptive L2 penalty (Wager et al., 2013).
#
# Dropout must be **off** at evaluation: `model.eval()`. Let us check the two modes on a
# vector of ones.

# %%
drop = nn.Dropout(p=0.5)
ones = minidl.ones(1, 20)
print("train mode:", drop(ones).numpy().ravel())
drop.eval()
print("eval mode: ", drop(ones).numpy().ravel())
big = nn.Dropout(p=0.5)(minidl.ones(1000, 1000)).numpy()
print(f"train mode on 10^6 ones: fraction zeroed {np.mean(big == 0):.4f}, mean {big.mean():.4f}")

# %% [markdown]
# ## 2. A small, noisy training set
#
# Two interleaving half-moons with Gaussian noise of std 0.3 on each coordinate: the classes
# overlap, so even the best classifier (a smooth curve between the moons) makes about 10%
# errors. 100 training points; 2,000 fresh points from the same distribution for validation.

# %%
x_train, y_train = make_moons(n_samples=100, noise=0.3, seed=0)
x_val, y_val = make_moons(n_samples=2000, noise=0.3, seed=1)
print("train", x_train.shape, np.bincount(y_train), " val", x_val.shape)

# %% [markdown]
# ## 3. With and without dropout
#
# The model puts `Dropout(p)` after each hidden ReLU. We train with Adam (lr = 3e-3) on
# mini-batches of 25 using `minidl.train.fit`, and after every epoch a small callback measures
# the loss and accuracy on the **training set in evaluation mode** (dropout off): `fit`'s own
# training loss is measured with dropout on, which is not the quantity we want to compare with
# the validation loss.

# %%
def make_model(p):
    minidl.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 256), nn.ReLU(), nn.Dropout(p),
                         nn.Linear(256, 256), nn.ReLU(), nn.Dropout(p),
                         nn.Linear(256, 2))


class TrainSetInEvalMode(Callback):
    """After every epoch: loss and accuracy on the training set with dropout off."""

    def __init__(self, loader, loss_fn):
        self.loader, self.loss_fn, self.loss, self.accuracy = loader, loss_fn, [], []

    def on_epoch_end(self, run, epoch, logs):
        result = evaluate(run.model, self.loader, self.loss_fn)
        self.loss.append(result['loss'])
        self.accuracy.append(result['accuracy'])


epochs = 100 if FAST else 200
loss_fn = nn.CrossEntropyLoss()
train_eval_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=100)
val_loader = DataLoader(TensorDataset(x_val, y_val), batch_size=2000)


def train(p):
    model = make_model(p)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=25, shuffle=True, seed=0)
    probe = TrainSetInEvalMode(train_eval_loader, loss_fn)
    history = fit(model, loss_fn, optim.Adam(model.parameters(), lr=3e-3), loader, epochs=epochs,
                  val_loader=val_loader, callbacks=[probe], verbose=0)
    models[p] = model
    return {'train_loss': np.array(probe.loss), 'train_acc': np.array(probe.accuracy),
            'val_loss': np.array(history['val_loss']), 'val_acc': np.array(history['val_accuracy'])}


def gap(run):
    """Validation loss minus training loss (both with dropout off) at the end of training."""
    return run['val_loss'][-1] - run['train_loss'][-1]


ps = [0.0, 0.25, 0.5, 0.75] if FAST else [0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9]
runs, models = {}, {}
for p in ps:
    runs[p] = train(p)
    r = runs[p]
    print(f"p = {p:.2f}: train loss {r['train_loss'][-1]:.4f} acc {r['train_acc'][-1]:.3f} | val loss "
          f"{r['val_loss'][-1]:.3f} (min {r['val_loss'].min():.3f} at epoch {r['val_loss'].argmin() + 1}) "
          f"acc {r['val_acc'][-1]:.3f} | gap {gap(r):.3f}")

# %%
fig, (ax_l, ax_a) = plt.subplots(1, 2, figsize=(13, 4.8))
epoch_axis = np.arange(1, epochs + 1)
for p, color in [(0.0, '#d62728'), (0.5, '#1f77b4')]:
    label = 'no dropout' if p == 0 else f'dropout p = {p}'
    ax_l.semilogy(epoch_axis, runs[p]['train_loss'], color=color, ls='--', label=f'{label}: train')
    ax_l.semilogy(epoch_axis, runs[p]['val_loss'], color=color, label=f'{label}: validation')
    ax_a.plot(epoch_axis, runs[p]['train_acc'], color=color, ls='--', label=f'{label}: train')
    ax_a.plot(epoch_axis, runs[p]['val_acc'], color=color, label=f'{label}: validation')
ax_l.set_xlabel('epoch')
ax_l.set_ylabel('cross-entropy loss (log scale, dropout off)')
ax_l.set_title('Loss: 100 training points, 2-256-256-2 MLP')
ax_l.legend(fontsize=9)
ax_l.grid(alpha=0.3, which='both')
ax_a.set_xlabel('epoch')
ax_a.set_ylabel('accuracy')
ax_a.set_ylim(0.7, 1.01)
ax_a.set_title('Accuracy')
ax_a.legend(fontsize=9, loc='lower right')
ax_a.grid(alpha=0.3)
fig.tight_layout()
fig.savefig(figure_path('06_curves.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![train and validation curves](figures/06_curves.png)
#
# What to look at. Without dropout (red) the training loss keeps falling while the
# validation loss reaches its minimum early and then rises: the network keeps pushing its
# logits up on the 100 examples it knows — including the noisy ones on the wrong side — and
# becomes over-confident on the points it gets wrong in validation. The validation *accuracy* changes much less than the loss — the overfitting
# shows first in the confidence. With dropout (blue) the training loss falls more slowly (the
# network is handicapped during training), and the validation loss rises from its minimum much
# more slowly: the gap between the solid and the dashed line is much smaller, and the
# validation accuracy ends higher.
#
# The decision regions show what the network learned. Without dropout it bends the boundary
# around individual noisy training points (islands and fingers); with dropout the boundary is
# smoother, closer to the curve that separates the two moons.

# %%
lim_x, lim_y = (-1.8, 2.8), (-1.5, 2.0)
gx, gy = np.meshgrid(np.linspace(*lim_x, 150), np.linspace(*lim_y, 120))
grid = minidl.tensor(np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32))
fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
for ax, p in zip(axes, (0.0, 0.5)):
    models[p].eval()
    with minidl.no_grad():
        logits = models[p](grid).numpy().astype(np.float64)
    prob = 1 / (1 + np.exp(logits[:, 0] - logits[:, 1]))            # softmax of two logits
    contour = ax.contourf(gx, gy, prob.reshape(gx.shape), levels=np.linspace(0, 1, 11), cmap='RdBu_r', alpha=0.7)
    ax.contour(gx, gy, prob.reshape(gx.shape), levels=[0.5], colors='k', linewidths=1.5)
    for k, color in [(0, '#1f3f99'), (1, '#b2182b')]:
        ax.scatter(*x_train[y_train == k].T, s=22, color=color, edgecolor='white', linewidth=0.6,
                   label=f'class {k} (train)')
    title = 'no dropout' if p == 0 else f'dropout p = {p}'
    ax.set_title(f"{title}: validation accuracy {runs[p]['val_acc'][-1]:.1%}")
    ax.set_xlabel('$x_1$')
    ax.set_ylabel('$x_2$')
    ax.set_xlim(*lim_x)
    ax.set_ylim(*lim_y)
    ax.legend(loc='lower left', fontsize=8)
fig.colorbar(contour, ax=list(axes), label='predicted P(class 1)', shrink=0.9)
fig.suptitle('Decision regions after training on 100 points (black line: P = 0.5)')
fig.savefig(figure_path('06_regions.png'), dpi=100, bbox_inches='tight')
plt.close(fig)

# %% [markdown]
# ![decision regions with and without dropout](figures/06_regions.png)
#
# ## 4. The effect of p

# %%
fig, (ax_g, ax_v) = plt.subplots(1, 2, figsize=(12, 4.4))
ax_g.plot(ps, [gap(runs[p]) for p in ps], 'o-', color='#9467bd')
ax_g.set_xlabel('dropout probability p')
ax_g.set_ylabel('validation loss − training loss (end)')
ax_g.set_title('Generalization gap vs p')
ax_g.grid(alpha=0.3)
ax_v.plot(ps, [runs[p]['val_acc'][-1] for p in ps], 'o-', label='validation accuracy (end)')
ax_v.plot(ps, [runs[p]['train_acc'][-1] for p in ps], 's--', label='training accuracy (end, dropout off)')
ax_v.set_xlabel('dropout probability p')
ax_v.set_ylabel('accuracy')
ax_v.set_title(f'Accuracy vs p after {epochs} epochs')
ax_v.legend(fontsize=9, loc='lower left')
ax_v.grid(alpha=0.3)
fig.tight_layout()
fig.savefig(figure_path('06_effect_of_p.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![effect of p](figures/06_effect_of_p.png)
#
# The gap shrinks steadily as p grows. The validation accuracy rises a little from p = 0 and
# then, at large p, falls: with most units dropped the network is too weak to fit even the
# training set in the given number of epochs (*underfitting*: the training accuracy drops
# too). The classic p = 0.5 for hidden layers sits in the flat middle; for inputs, values
# around 0.2 are usual. Dropout is a regularizer: it trades a worse fit of the training set
# for a smaller gap, and pays off when the gap is the problem — a small data set, a big model.
#
# ## 5. The claim, checked

# %%
no_drop, half = runs[0.0], runs[0.5]
print(f"no dropout: gap {gap(no_drop):.3f}, val loss {no_drop['val_loss'][-1]:.3f} (min {no_drop['val_loss'].min():.3f}), "
      f"val acc {no_drop['val_acc'][-1]:.3f}")
print(f"p = 0.5:    gap {gap(half):.3f}, val loss {half['val_loss'][-1]:.3f} (min {half['val_loss'].min():.3f}), "
      f"val acc {half['val_acc'][-1]:.3f}")
assert no_drop['val_loss'][-1] > 1.5 * no_drop['val_loss'].min(), no_drop['val_loss']
assert gap(half) < 0.5 * gap(no_drop), (gap(half), gap(no_drop))
assert half['val_acc'][-1] >= no_drop['val_acc'][-1], (half['val_acc'][-1], no_drop['val_acc'][-1])
print("OK: dropout p = 0.5 more than halves the train-validation loss gap without losing validation accuracy.")
