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
# # Tutorial 1 — Gradient checking
#
# A backward pass is code, and code has bugs. A wrong gradient is the worst kind of bug:
# nothing crashes, the loss often still goes down (any direction with a positive dot
# product with the true gradient is a descent direction), the network just trains worse than
# it should, and you may never find out why. The defence is cheap and old: compare the
# analytic gradient with a **numerical** one computed from the definition of the derivative.
#
# This tutorial covers
#
# 1. forward vs central differences, and the trade-off between **truncation** and
#    **rounding** error that decides the step size h and the dtype (float64, h ≈ 1e-6);
# 2. how to compare two gradients: the **relative error** and how to read it;
# 3. `minidl.gradcheck` catching planted bugs (a forgotten transpose, a forgotten factor);
# 4. what a **kink** (relu at 0) looks like to a gradient check;
# 5. `minidl.gradgradcheck` catching a backward that is right but not differentiable.
#
# The claim we check at the end: **central differences in float64 reach a relative error
# below 1e-9, at least 1000 times smaller than anything float32 can reach**, and the
# checks flag each planted bug and only those.

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
from minidl.autograd import Function, GradcheckError  # noqa: E402
from minidl.autograd.gradcheck import grade  # noqa: E402  (the words gradcheck's table uses)

minidl.manual_seed(0)

# %% [markdown]
# ## 1. Finite differences and their two errors
#
# Taylor's theorem around x gives
#
# $$ f(x \pm h) = f(x) \pm h f'(x) + \tfrac{h^2}{2} f''(x) \pm \tfrac{h^3}{6} f'''(x) + \dots $$
#
# so the two classic estimates of $f'(x)$ are
#
# $$ \text{forward:}\quad \frac{f(x+h) - f(x)}{h} = f'(x) + \underbrace{\tfrac{h}{2} f''(x)}_{O(h)} + \dots
#    \qquad
#    \text{central:}\quad \frac{f(x+h) - f(x-h)}{2h} = f'(x) + \underbrace{\tfrac{h^2}{6} f'''(x)}_{O(h^2)} + \dots $$
#
# In the central difference the even terms cancel, so its **truncation error** shrinks like
# $h^2$ instead of $h$. Then why not take h tiny? Because the computer stores f(x+h) and
# f(x) rounded to a relative precision ε (the *machine epsilon*: about 1.2e-7 in float32,
# 2.2e-16 in float64). The difference of two nearly equal numbers keeps their absolute
# rounding error, about ε|f|, and dividing by h blows it up: the **rounding error** is about
# ε|f|/h. The total error is
#
# $$ \text{forward: } \tfrac{h}{2}|f''| + \tfrac{2\varepsilon |f|}{h}, \qquad
#    \text{central: } \tfrac{h^2}{6}|f'''| + \tfrac{\varepsilon |f|}{h}, $$
#
# a V on log-log axes. Setting the derivative with respect to h to zero puts the bottom of the V at
# $h \approx \sqrt{\varepsilon}$ (forward, error ≈ $\sqrt\varepsilon$) and
# $h \approx \varepsilon^{1/3}$ (central, error ≈ $\varepsilon^{2/3}$). In float64 that is
# h ≈ 6e-6 and an error near 1e-11 for central differences, and the bottom is flat enough that
# **h = 1e-6** is the usual choice. In float32 the best central difference is only good to
# ε^{2/3} ≈ 2e-5, far too coarse to tell a subtle bug from noise.
#
# Let us measure it on $f(x) = e^x \sin x$ at x = 1, whose derivative we know exactly:
# $f'(x) = e^x(\sin x + \cos x)$. The function is evaluated with minidl in each dtype.

# %%
def f(x):
    return x.exp() * x.sin()


x0 = 1.0
exact = np.exp(x0) * (np.sin(x0) + np.cos(x0))
steps = np.logspace(-14, 0, 29 if FAST else 57)


def difference_errors(dtype):
    """Relative errors of the forward and central differences of f at x0, for every step h."""
    def at(points):
        return f(minidl.tensor(points, dtype=dtype)).numpy().astype(np.float64)
    f_plus, f_minus, f_centre = at(x0 + steps), at(x0 - steps), at(np.full_like(steps, x0))
    forward = (f_plus - f_centre) / steps
    central = (f_plus - f_minus) / (2 * steps)
    relative = lambda estimate: np.maximum(np.abs(estimate - exact) / abs(exact), 1e-17)   # 0 would vanish on a log axis
    return relative(forward), relative(central)


errors = {dtype: difference_errors(dtype) for dtype in (minidl.float32, minidl.float64)}
best = {}
for dtype, (forward, central) in errors.items():
    i, j = np.argmin(forward), np.argmin(central)
    best[dtype] = central[j]
    print(f"{np.dtype(dtype).name}: best forward {forward[i]:.1e} at h = {steps[i]:.0e};  "
          f"best central {central[j]:.1e} at h = {steps[j]:.0e}")
central64_at_1e6 = errors[minidl.float64][1][np.argmin(np.abs(steps - 1e-6))]
print(f"float64 central difference at h = 1e-6: {central64_at_1e6:.1e}")

# %% [markdown]
# The dotted lines are the error model above (with $|f|$, $|f''|$, $|f'''|$ at x = 1);
# the measurements follow it.

# %%
f0 = np.exp(x0) * np.sin(x0)
f2 = 2 * np.exp(x0) * np.cos(x0)                       # f''  = 2 eˣ cos x
f3 = 2 * np.exp(x0) * (np.cos(x0) - np.sin(x0))        # f''' = 2 eˣ (cos x - sin x)

fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
for ax, dtype in zip(axes, (minidl.float64, minidl.float32)):
    eps = np.finfo(dtype).eps
    forward, central = errors[dtype]
    ax.loglog(steps, forward, 'o-', color='#1f77b4', ms=4, label='forward (f(x+h) - f(x)) / h')
    ax.loglog(steps, central, 's-', color='#d62728', ms=4, label='central (f(x+h) - f(x-h)) / 2h')
    ax.loglog(steps, (steps / 2 * abs(f2) + 2 * eps * abs(f0) / steps) / abs(exact), ':', color='#1f77b4',
              lw=1.5, label='model: h|f″|/2 + 2ε|f|/h')
    ax.loglog(steps, (steps ** 2 / 6 * abs(f3) + eps * abs(f0) / steps) / abs(exact), ':', color='#d62728',
              lw=1.5, label='model: h²|f‴|/6 + ε|f|/h')
    ax.axvline(1e-6, color='gray', ls='--', lw=1)
    ax.text(1.3e-6, 3e-16, 'h = 1e-6', color='gray', fontsize=9)
    ax.set_ylim(1e-16, 10)
    ax.set_xlabel('step size h')
    ax.set_title(f"{np.dtype(dtype).name} (ε = {eps:.1e}): best central error {best[dtype]:.0e}")
    ax.grid(alpha=0.3, which='major')
axes[0].set_ylabel("relative error of the estimate of f′(1)")
axes[0].legend(loc='lower left', fontsize=8.5, framealpha=0.95)
axes[0].annotate('rounding\n(slope -1)', xy=(3e-12, 1e-7), fontsize=9, ha='center')
axes[0].annotate('truncation\n(slope +1: forward,\n +2: central)', xy=(3e-2, 1e-9), fontsize=9, ha='center')
fig.suptitle("Finite differences of f(x) = eˣ sin x at x = 1: error vs step size")
fig.tight_layout()
fig.savefig(figure_path('01_step_size.png'), dpi=110)
plt.close(fig)

# %% [markdown]
# ![error vs step size](figures/01_step_size.png)
#
# Read the figure from right to left. For large h the truncation term dominates: slope +1
# for forward differences, +2 for central. For small h the rounding term dominates with
# slope −1, until h is so small that x + h rounds to x and the estimate is 0 (relative error
# 1, the plateau on the left; in float32 that happens already at h ≈ 1e-8). The bottom of the
# V is the best we can do: the model says about 1e-11 for central differences in float64 and
# only about 1e-5 in float32. (Single measurements scatter around the model and can dip
# lower where rounding errors happen to cancel, as the isolated low points show; the gap of
# several orders of magnitude between the two dtypes is what is robust.) This is why **gradient checks run in float64** (minidl's `gradcheck`
# upcasts the inputs for you) with **central differences and h ≈ 1e-6**.
#
# ## 2. Comparing two gradients: the relative error
#
# An absolute difference means nothing on its own: 1e-4 is tiny next to a gradient of size
# 1000 and huge next to one of size 1e-6. The standard measure is the relative error
#
# $$ r = \frac{|g_\text{analytic} - g_\text{numeric}|}{\max(|g_\text{analytic}|, |g_\text{numeric}|)} $$
#
# (with a small floor, `atol`, in the denominator so that two gradients that are both ≈ 0
# count as equal). The classic reading, for float64 central differences:
#
# | r | grade | reading |
# |---|-------|---------|
# | < 1e-7 | fine | the backward is right |
# | 1e-7 … 1e-4 | look closer | fine near a kink; otherwise suspicious |
# | 1e-4 … 1e-2 | suspicious | usually a bug |
# | > 1e-2 | wrong | a bug |
#
# Here is a check written out by hand: a small network-like function
# $L(W) = \sum \tanh(XW)^2$, its backward against central differences, done in
# float64 and then, with the same correct backward, in float32.

# %%
def loss_of(W, X):
    return ((X @ W).tanh() ** 2).sum()


def numeric_gradient(fn, x, h):
    """Central differences, one element at a time (2 evaluations of fn per element)."""
    g = np.zeros(x.shape)
    for index in np.ndindex(*x.shape):
        original = x.data[index].item()
        x.data[index] = original + h
        plus = fn().item()
        x.data[index] = original - h
        minus = fn().item()
        x.data[index] = original
        g[index] = (plus - minus) / (2 * h)
    return g


def relative_error(a, n, atol=1e-5):
    return float(np.max(np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), atol)))


X_values = minidl.randn(8, 5, dtype=minidl.float64, device='cpu').numpy()    # the same values on any device
W_values = minidl.randn(5, 3, dtype=minidl.float64, device='cpu').numpy()
hand_check = {}
for dtype, h in [(minidl.float64, 1e-6), (minidl.float32, 1e-6), (minidl.float32, 1e-3)]:
    X = minidl.tensor(X_values, dtype=dtype)
    W = minidl.tensor(W_values, dtype=dtype, requires_grad=True)
    loss_of(W, X).backward()
    with minidl.no_grad():
        numeric = numeric_gradient(lambda: loss_of(W, X), W, h)
    r = relative_error(W.grad.numpy().astype(np.float64), numeric)
    hand_check[(np.dtype(dtype).name, h)] = r
    print(f"{np.dtype(dtype).name}, h = {h:.0e}: worst relative error {r:.1e}  -> {grade(r)}")

# %% [markdown]
# The backward is the same correct code in all three rows. In float64 the check says *fine*.
# In float32 it looks like a gross bug with h = 1e-6 (rounding error / h dominates), and even
# with h = 1e-3, near float32's best step, the worst element is graded *wrong*: the loss is a
# sum of 24 terms, each rounded to about 1e-7 relative, and that noise divided by 2h is as
# large as the smaller gradient elements. A float32 check cannot tell a correct backward from
# a wrong one.
#
# ## 3. `minidl.gradcheck` and a planted bug
#
# `minidl.gradcheck(fn, inputs)` does all this for you: it upcasts the inputs to float64,
# reduces each output $y_k$ of `fn` to one number $s_k = \langle w_k, y_k \rangle$ with
# fixed random weights $w_k$ (so one backward per output gives every gradient, and a bug
# cannot hide behind a symmetric output), and compares the backward with central differences
# (h = 1e-6) for every element of every input, as PyTorch's `gradcheck` does by default.
# (`fast_mode=True` compares along one random direction only: fast for large inputs, but a
# bug in one element of many can slip through.) It returns True or raises a `GradcheckError`
# whose message is a table: one row per output and input, its worst element, the analytic and
# numeric values, the relative error and its grade. The same rows are in `error.report` as
# dicts.
#
# Below, a matrix product $Y = XW$ with a backward written by a student. The correct rule is
#
# $$ \frac{\partial L}{\partial X} = \frac{\partial L}{\partial Y} W^\top, \qquad
#    \frac{\partial L}{\partial W} = X^\top \frac{\partial L}{\partial Y} ,$$
#
# and the student forgot the transpose on W. With a square W the shapes still match, so
# nothing crashes.

# %%
class MatMul(Function):
    """Y = X W;   dL/dX = dL/dY Wᵀ,  dL/dW = Xᵀ dL/dY."""

    def forward(self, x, w):
        self.save_for_backward(x, w)
        return x @ w

    def backward(self, gy):
        x, w = self.saved_tensors
        return gy @ w.T, x.T @ gy


class BuggyMatMul(MatMul):
    """The same, with the transpose of W forgotten in dL/dX."""

    def backward(self, gy):
        x, w = self.saved_tensors
        return gy @ w, x.T @ gy                     # BUG: should be gy @ w.T


X = minidl.randn(6, 4, dtype=minidl.float64, requires_grad=True)
W = minidl.randn(4, 4, dtype=minidl.float64, requires_grad=True)
print("correct MatMul:", minidl.gradcheck(MatMul(), [X, W]))
try:
    minidl.gradcheck(BuggyMatMul(), [X, W])
    transpose_report = None
except GradcheckError as error:
    print(error)
    transpose_report = error.report

# %% [markdown]
# The table points at the culprit: input 0 (X) is *wrong*, input 1 (W) is *fine*, so the bug
# is in the gradient for X. A forgotten constant factor is just as easy to see — and its
# relative error tells you the factor: forgetting the 2 in $d(x^2)/dx = 2x$ gives exactly
# $|x - 2x| / |2x| = 0.5$.

# %%
class BuggySquare(Function):
    """y = x²; the backward forgets the factor 2."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, gy):
        x, = self.saved_tensors
        return gy * x                               # BUG: should be gy * 2 * x


try:
    minidl.gradcheck(BuggySquare(), [minidl.randn(5, dtype=minidl.float64, requires_grad=True)])
    factor_report = None
except GradcheckError as error:
    print(error)
    factor_report = error.report

# %% [markdown]
# ## 4. Kinks: when the function itself has no derivative
#
# relu(x) = max(x, 0) has no derivative at 0: the slope is 0 on the left and 1 on the
# right. minidl's backward uses 0 there (as PyTorch does). A central difference that
# straddles the kink measures the slope of the secant, $(h - 0)/2h = 1/2$, and disagrees with
# any choice. This is not a bug in the backward, and gradcheck says so: for the worst element
# it also computes the two **one-sided** differences, and when they disagree it marks the row
# as a kink. (The numeric value in the table is the secant slope ½ times the random output
# weight of that element.)

# %%
x_kink = minidl.tensor([-1.0, 0.0, 2.0, 3e-7], dtype=minidl.float64, requires_grad=True)
try:
    minidl.gradcheck(minidl.relu, [x_kink])
    kink_report = None
except GradcheckError as error:
    print(error)
    kink_report = error.report
x_away = minidl.tensor([-1.0, 0.3, 2.0, -0.5], dtype=minidl.float64, requires_grad=True)
print("relu away from 0:", minidl.gradcheck(minidl.relu, [x_away]))

# %%
h = 0.4                                             # exaggerated, to be visible
xs = np.linspace(-1, 1, 201)
fig, ax = plt.subplots(figsize=(6.5, 4.6))
ax.plot(xs, np.maximum(xs, 0), color='black', lw=2.5, label='relu(x)')
ax.plot(xs, 0.5 * (xs + h), color='#d62728', lw=1.8,
        label='central secant through x = ±h: slope ½')
ax.plot(xs, xs, color='#2ca02c', ls='--', lw=1.4, label='forward difference: slope 1')
ax.plot(xs, np.zeros_like(xs), color='#1f77b4', ls='--', lw=1.4, label='backward difference: slope 0')
ax.plot([-h, h], [0, h], 'o', color='#d62728', ms=7)
ax.set_xlim(-1, 1)
ax.set_ylim(-0.4, 1)
ax.set_xlabel('x')
ax.set_ylabel('y')
ax.set_title(f"A kink: relu at 0 (h = {h})\nthe one-sided differences disagree")
ax.legend(loc='upper left', fontsize=9)
ax.grid(alpha=0.3)
fig.tight_layout()
fig.savefig(figure_path('01_kink.png'), dpi=110)
plt.close(fig)

# %% [markdown]
# ![kink](figures/01_kink.png)
#
# In practice: check at random inputs (a kink is hit with probability ~0 unless the inputs
# are chosen on it, as here), or move the inputs away from known kinks. Note the fourth
# input, 3e-7: it is not *at* the kink, but it is closer than h = 1e-6, so the central
# difference straddles it too.
#
# ## 5. Second derivatives: `gradgradcheck`
#
# minidl writes every backward with tensor operations so that `backward(create_graph=True)`
# can differentiate it (tutorial 0). That only works if backward uses the tensors that
# `save_for_backward` hands back, which stay attached to the graph. A backward that works on a
# **private copy** of the input computes the right first derivative, yet the graph of its
# result no longer depends on x: its second derivative comes out as 0 instead of 2.
# `gradcheck` cannot see this; `gradgradcheck` — a gradcheck of the function
# $x \mapsto \nabla_x \langle w, f(x) \rangle$, computed with `create_graph=True` — can.

# %%
class Square(Function):
    """y = x²;  dL/dx = dL/dy · 2x, with x from save_for_backward (differentiable)."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, gy):
        x, = self.saved_tensors
        return gy * 2 * x


class SquareWithConstant(Function):
    """y = x²;  the right dL/dx, but computed from a constant copy of x."""

    def forward(self, x):
        self.x = x                                  # kept as a raw array: not part of the graph
        return x * x

    def backward(self, gy):
        return gy * 2 * minidl.tensor(self.x)      # a constant: d/dx of this is lost


x = minidl.randn(5, dtype=minidl.float64, requires_grad=True)
results = {}
for op in (Square, SquareWithConstant):
    for check in (minidl.gradcheck, minidl.gradgradcheck):
        try:
            results[(op.__name__, check.__name__)] = check(op(), [x])
        except GradcheckError as error:
            results[(op.__name__, check.__name__)] = False
            print(f"{check.__name__}({op.__name__}):\n{error}\n")
for (name, check), passed in results.items():
    print(f"{check:>13}({name}): {'passed' if passed else 'FAILED'}")

# %% [markdown]
# ## 6. The claim, checked
#
# * Central differences in float64 reach a relative error below 1e-9, at least 1000 times
#   smaller than the best float32 can do; at h = 1e-6 they are within 1e-8.
# * The correct backward looks fine in float64 and not in float32 (the hand-made check).
# * gradcheck flags the forgotten transpose (on X only) and the forgotten factor (relative
#   error 0.5), marks relu at 0 as a kink, and gradgradcheck catches the constant copy that
#   gradcheck lets through.

# %%
ratio = best[minidl.float32] / best[minidl.float64]
print(f"best central error: float64 {best[minidl.float64]:.1e}, float32 {best[minidl.float32]:.1e} "
      f"(ratio {ratio:.0f}); float64 at h = 1e-6: {central64_at_1e6:.1e}")
assert best[minidl.float64] < 1e-9, best
assert ratio >= 1000, ratio
assert central64_at_1e6 < 1e-8, central64_at_1e6
assert hand_check[('float64', 1e-6)] < 1e-7 < hand_check[('float32', 1e-3)], hand_check
assert transpose_report is not None
assert [row['grade'] for row in transpose_report] == ['wrong', 'fine'], transpose_report
assert abs(factor_report[0]['relative_error'] - 0.5) < 1e-6, factor_report
assert kink_report is not None and kink_report[0]['kink'], kink_report
assert results == {('Square', 'gradcheck'): True, ('Square', 'gradgradcheck'): True,
                   ('SquareWithConstant', 'gradcheck'): True,
                   ('SquareWithConstant', 'gradgradcheck'): False}, results
print("OK: float64 central differences are >= 1000x more accurate than float32, and every planted "
      "bug was caught.")
