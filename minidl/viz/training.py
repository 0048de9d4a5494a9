"""Plots of a training run: loss/metric curves, the learning-rate schedule, a confusion
matrix, per-layer gradient norms.

Each function returns a ``matplotlib.figure.Figure`` (no pyplot, no window: it works on a
server, see ``figure.py``) and also writes it to ``path`` when one is given, in the format its
suffix names (PNG without one).

Example:
    >>> import numpy as np
    >>> fig = plot_confusion_matrix(np.array([[5, 1], [0, 4]]))
    >>> fig.axes[0].get_title()
    'Confusion matrix (accuracy 90.0%)'
"""
import numpy
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .figure import finish

DPI = 110


def plot_history(history, path=None):
    """Training and validation loss (left) and every other metric (right) per epoch."""
    logs = history.history
    metrics = [k for k in logs if not k.startswith('val_') and k not in ('loss', 'lr', 'seconds')]
    fig = Figure(figsize=(10, 4))
    panels = [('loss', fig.add_subplot(1, 2, 1))]
    panels += [(metrics, fig.add_subplot(1, 2, 2))] if metrics else []
    for names, ax in panels:
        for name in [names] if isinstance(names, str) else names:
            for key, style in ((name, '-'), (f'val_{name}', '--')):
                if key in logs:
                    ax.plot(range(1, len(logs[key]) + 1), logs[key], style, marker='.', label=key)
        ax.set_xlabel('epoch')
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title('Loss' if names == 'loss' else 'Metrics')
        ax.grid(alpha=0.3)
        ax.legend()
    return finish(fig, path, DPI)


def plot_lr_schedule(step_lr, path=None):
    """The learning rate of every optimizer step (e.g. ``history.step_lr``)."""
    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot()
    ax.plot(numpy.arange(1, len(step_lr) + 1), step_lr)
    ax.set_xlabel('optimizer step')
    ax.set_ylabel('learning rate')
    ax.set_title('Learning-rate schedule')
    ax.grid(alpha=0.3)
    return finish(fig, path, DPI)


def plot_confusion_matrix(matrix, class_names=None, path=None):
    """A C x C matrix (rows: true class, columns: predicted) as an annotated heat map: counts
    written as integers, rates (a normalized matrix) with two significant digits, NaN as 'nan'."""
    matrix = numpy.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"plot_confusion_matrix: expected a square C x C matrix, got shape {matrix.shape}")
    n = matrix.shape[0]
    names = [str(c) for c in (class_names if class_names is not None else range(n))]
    fig = Figure(figsize=(1.0 + 0.5 * n, 0.8 + 0.5 * n))
    ax = fig.add_subplot()
    image = ax.imshow(matrix, cmap='Blues')
    fig.colorbar(image, ax=ax)
    dark = numpy.nanmax(matrix) / 2 if matrix.size else 0     # white text above it (NaN: black)
    for (i, j), value in numpy.ndenumerate(matrix):
        ax.text(j, i, _cell_text(value), ha='center', va='center', fontsize=8,
                color='white' if value > dark else 'black')
    ax.set_xticks(range(n), names)
    ax.set_yticks(range(n), names)
    ax.set_xlabel('predicted')
    ax.set_ylabel('true')
    total = matrix.sum()
    ax.set_title(f'Confusion matrix (accuracy {100 * numpy.trace(matrix) / max(total, 1):.1f}%)')
    return finish(fig, path, DPI)


def _cell_text(value):
    """A count as an integer; a rate with two significant digits, as scikit-learn's
    ConfusionMatrixDisplay writes one; NaN as 'nan'."""
    value = value.item()
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2g}"
    return str(int(value))


def plot_grad_norms(history, path=None):
    """The mean gradient L2 norm of each parameter per epoch, on a log scale: vanishing
    gradients sink towards the bottom, exploding ones climb."""
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    for name, norms in history.grad_norms.items():
        epochs = [e + 1 for e, v in enumerate(norms) if v is not None]
        ax.plot(epochs, [v for v in norms if v is not None], marker='.', label=name)
    ax.set_yscale('log')
    ax.set_xlabel('epoch')
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel('gradient L2 norm')
    ax.set_title('Per-layer gradient norms')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    return finish(fig, path, DPI)
