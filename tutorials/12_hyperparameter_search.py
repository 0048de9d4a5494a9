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
# # Tutorial 12 — Hyperparameter search
#
# *How should I choose the learning rate, the regularization strength, the width...?*
# (FAQ 3.) Not by hand, one at a time, and not on the test set. A hyperparameter search is an
# optimization problem whose objective is expensive (one evaluation = one training run) and
# noisy, has no gradient, and lives in a space where a few parameters matter a lot and others
# hardly at all. This tutorial compares the three standard methods in `minidl.tuning` on a
# real objective:
#
# 1. the objective: the **cross-validated** validation loss of a small MLP on the digits, as a
#    function of the learning rate and the L2 strength (`KFold`, `cross_val_score`);
# 2. **grid search**, **random search** (Bergstra & Bengio, 2012) and **Bayesian optimization**
#    (a Gaussian process with expected improvement; Snoek et al., 2012), at the same budget;
# 3. best-so-far curves and where each method put its trials.
#
# The claim we check at the end: **at the same budget n, random search tries √n times more distinct
# learning rates than the grid (n instead of √n), and Bayesian optimization finds a configuration at least as
# good as the grid's best (within 0.02 of cross-validated loss) and better than the median
# random trial.**

# %%
import os

# One BLAS thread: our matrices are small, and on a busy machine BLAS threads wait for each
# other (tutorial 13 measures it). Set before NumPy is imported; a value you set is kept.
for variable in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(variable, '1')

import sys  # noqa: E402
import time  # noqa: E402

import matplotlib  # noqa: E402
matplotlib.use('Agg')            # draw to files: runs without a display (tests, servers)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np               # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)) if '__file__' in globals() else os.getcwd())
from _common import FAST, figure_path  # noqa: E402

import minidl                    # noqa: E402
from minidl import nn, optim     # noqa: E402
from minidl.regularizers import L2  # noqa: E402
from minidl.tuning import (BayesianOptimization, GridSearch, KFold, LogUniform, RandomSearch,  # noqa: E402
                           cross_val_score)

minidl.manual_seed(0)

# %% [markdown]
# ## 1. The objective, cross-validated
#
# One trial trains an MLP 64 → 64 → 10 with full-batch Adam for a fixed number of steps, with
# learning rate `lr` and an L2 penalty `l2` on its weights, and returns its validation loss.
# Measured on one validation split, that number depends on which samples landed in the split:
# the search would partly be optimizing noise, and the winner would look better than it is.
# **K-fold cross-validation** removes most of that: cut the data into K folds, train K times,
# each time validating on a different fold, and average:
#
# $$ \text{CV}(\lambda) = \frac1K \sum_{k=1}^{K} L_\text{val}\big(\text{model trained on all folds but } k;\ \text{fold } k\big). $$
#
# Every sample is validated on exactly once. `cross_val_score(build_and_train, (X, y), cv=KFold(3, shuffle=True, seed=0))`
# calls `build_and_train(train_data, val_data)` once per fold and returns the scores with
# their mean and standard deviation. The search only ever sees the 1,200 digits of the
# development set; the last 597 are a **test set** it never touches, used once at the end to
# report the winner honestly.

# %%
x_digits, y_digits = minidl.data.load_digits()
X_all = x_digits.reshape(len(x_digits), -1)
order = np.random.default_rng(0).permutation(len(X_all))
dev, test = order[:1200], order[1200:]
X_dev, y_dev = X_all[dev], y_digits[dev]
n_steps = 30 if FAST else 60
folds = KFold(3, shuffle=True, seed=0)
loss_fn = nn.CrossEntropyLoss()


def train_mlp(X, y, lr, l2, seed=0):
    minidl.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 64, weight_regularizer=L2(l2)), nn.ReLU(),
                          nn.Linear(64, 10, weight_regularizer=L2(l2)))
    opt = optim.Adam(model.parameters(), lr=lr)
    X, y = minidl.tensor(X), minidl.tensor(y)
    for _ in range(n_steps):
        opt.zero_grad()
        (loss_fn(model(X), y) + model.regularization_loss()).backward()
        opt.step()
    return model


def validation_loss(model, X, y):
    with minidl.no_grad():
        loss = float(loss_fn(model(minidl.tensor(X)), minidl.tensor(y)).item())
    return loss if np.isfinite(loss) else 10.0          # a diverged run is just a bad score


def objective(params):
    """Mean 3-fold cross-validated validation loss (lower is better)."""
    def build_and_train(train, val):
        return validation_loss(train_mlp(*train, params['lr'], params['l2']), *val)
    return cross_val_score(build_and_train, (X_dev, y_dev), cv=folds).mean


started = time.perf_counter()
scores = cross_val_score(lambda tr, va: validation_loss(train_mlp(*tr, 1e-2, 1e-4), *va), (X_dev, y_dev), cv=folds)
print(f"lr = 1e-2, l2 = 1e-4: {scores}  ({time.perf_counter() - started:.2f} s for 3 trainings)")

# %% [markdown]
# The fold-to-fold standard deviation is the noise floor: differences between configurations
# smaller than this are not worth believing.
#
# ## 2. Three searches, one budget
#
# The space: `lr ~ LogUniform(1e-4, 1)` and `l2 ~ LogUniform(1e-6, 1e-1)`, both on a log scale
# because what matters is the order of magnitude. Each method gets the same number of
# trials.
#
# * **Grid search** tries the Cartesian product of √n values per parameter (evenly spaced in
#   log). Its weakness: if only one parameter matters, n trials test only √n distinct values
#   of it.
# * **Random search** draws every trial independently from the space: n trials test n
#   distinct values of *each* parameter, so it explores the important one much more finely
#   at the same cost (Bergstra & Bengio, 2012).
# * **Bayesian optimization** starts with a few random trials, then fits a Gaussian process
#   to the (configuration → score) pairs seen so far and picks the next configuration where
#   the **expected improvement** over the best score so far is largest:
#   $\mathrm{EI}(x) = \mathbb E[\max(0, f^* - f(x))] = (f^* - \mu)\Phi(z) + \sigma\varphi(z)$
#   with $z = (f^* - \mu)/\sigma$: large where the GP predicts a low loss (μ small,
#   exploitation) or is unsure (σ large, exploration).

# %%
side = 3 if FAST else 5
budget = side * side
space = {'lr': LogUniform(1e-4, 1.0, grid=side), 'l2': LogUniform(1e-6, 1e-1, grid=side)}
searches = {'grid': GridSearch(), 'random': RandomSearch(n_trials=budget, seed=0),
            'Bayesian (GP + EI)': BayesianOptimization(n_trials=budget, n_initial=4 if FAST else 5, seed=0)}
results, seconds = {}, {}
for name, search in searches.items():
    started = time.perf_counter()
    results[name] = search.run(objective, space, direction='minimize')
    seconds[name] = time.perf_counter() - started
    best = results[name].best_params
    print(f"{name:<20} {len(results[name])} trials in {seconds[name]:.1f} s: best CV loss "
          f"{results[name].best_value:.4f} at lr = {best['lr']:.2e}, l2 = {best['l2']:.1e}")

# %%
colors = {'grid': '#1f77b4', 'random': '#ff7f0e', 'Bayesian (GP + EI)': '#2ca02c'}
fig = plt.figure(figsize=(15, 10), layout='constrained')
grid_spec = fig.add_gridspec(2, 3, height_ratios=[1, 1.1])
ax = fig.add_subplot(grid_spec[0, :])
for name, result in results.items():
    trials = np.arange(1, len(result) + 1)
    ax.plot(trials, [t.value for t in result.trials], 'o', color=colors[name], alpha=0.35, ms=5)
    ax.step(trials, result.best_so_far(), where='post', color=colors[name], lw=2.2,
            label=f"{name}: best {result.best_value:.3f}")
ax.set_yscale('log')
ax.set_xlabel('trial')
ax.set_ylabel('3-fold CV validation loss (log scale)')
ax.set_title(f'Best so far (lines) and each trial (dots), budget {budget} trials')
ax.legend()
ax.grid(alpha=0.3, which='both')
values = np.concatenate([[t.value for t in r.trials] for r in results.values()])
norm = matplotlib.colors.LogNorm(vmin=values.min(), vmax=min(values.max(), 3.0))
for i, (name, result) in enumerate(results.items()):
    ax = fig.add_subplot(grid_spec[1, i])
    lrs = [t.params['lr'] for t in result.trials]
    l2s = [t.params['l2'] for t in result.trials]
    points = ax.scatter(lrs, l2s, c=[min(t.value, 3.0) for t in result.trials], cmap='viridis_r', norm=norm,
                        s=60, edgecolors='black', linewidths=0.5)
    best = result.best_params
    ax.plot(best['lr'], best['l2'], '*', color='red', ms=16, mec='black', label='best')
    ax.set_xscale('log')
    ax.set_yscale('log')
    ax.set_xlim(7e-5, 1.4)
    ax.set_ylim(6e-7, 0.16)
    ax.set_xlabel('learning rate')
    ax.set_ylabel('L2 strength')
    ax.set_title(f"{name}:\n{len(set(np.round(np.log10(lrs), 6)))} distinct learning rates", fontsize=11)
    ax.legend(loc='lower left', fontsize=8.5)
fig.colorbar(points, ax=fig.axes[1:], label='3-fold CV loss (clipped at 3)', shrink=0.9)
fig.suptitle('Grid vs random vs Bayesian search: MLP on digits, objective = 3-fold CV loss')
fig.savefig(figure_path('12_search.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![search comparison](figures/12_search.png)
#
# The bottom row shows where each method spent its budget. The grid tests only a few values
# of the learning rate — the parameter that matters here — and half its trials sit at a
# learning rate that is far too small or far too large, whatever the L2 strength. Random
# search scatters its trials and so samples more learning rates; Bayesian optimization,
# after its random start, concentrates its trials in the region of good learning rates and
# small L2 that the GP has learned to predict, and refines there.
#
# Keep the noise floor in mind when reading the best values: the fold-to-fold standard
# deviation printed above is about 0.03, as large as the differences between the three
# winners. At this small budget the ranking of grid, random and Bayesian can change with the
# seed or the budget (with a 4x4 grid, for example, random search came out ahead of both
# in our runs; a grid that happens to contain a good learning rate can win). What does not
# change: the grid spends most of its trials on learning rates it already knows are bad, and
# the adaptive method spends them where the good configurations are. The advantage of random over grid
# grows with the number of unimportant parameters, and that of Bayesian optimization with
# the cost of a trial.
#
# ## 3. The winner, measured honestly
#
# The best CV loss of a search is an optimistic estimate of the winner's quality (it is the
# minimum of many noisy numbers). Retrain the winner on the whole development set and
# evaluate it once on the untouched test set:

# %%
test_scores = {}
for name, result in results.items():
    best = result.best_params
    model = train_mlp(X_dev, y_dev, best['lr'], best['l2'])
    with minidl.no_grad():
        predictions = model(minidl.tensor(X_all[test])).numpy().argmax(axis=1)
    test_scores[name] = float((predictions == y_digits[test]).mean())
    print(f"{name:<20} winner's test accuracy {test_scores[name]:.3f}")

# %% [markdown]
# ## 4. The claim, checked

# %%
distinct = {name: len(set(np.round(np.log10([t.params['lr'] for t in r.trials]), 6))) for name, r in results.items()}
best = {name: r.best_value for name, r in results.items()}
random_median = float(np.median([t.value for t in results['random'].trials]))
print(f"distinct learning rates: {distinct}")
print(f"best CV loss: {best}; random search median trial {random_median:.3f}")
print(f"fold-to-fold std at lr=1e-2: {scores.std:.3f}; search time (s): {seconds}")
assert distinct['random'] == budget and distinct['grid'] == side, distinct
assert best['Bayesian (GP + EI)'] <= best['grid'] + 0.02, best
assert best['Bayesian (GP + EI)'] < random_median, (best, random_median)
assert min(test_scores.values()) > 0.8, test_scores
print("OK: random search covers the learning rate more finely than the grid, and Bayesian optimization "
      "matches or beats the grid's best at the same budget.")
