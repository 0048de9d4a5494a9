"""``History``: what :func:`~minidl.train.fit` measured, epoch by epoch.

- ``history.history``: ``{name: [one value per epoch]}`` for ``loss``, each metric, their
  ``val_`` twins, ``lr`` (the learning rate at the start of the epoch) and ``seconds``;
- ``history.grad_norms``: ``{parameter name: [mean gradient L2 norm per epoch]}`` (before
  clipping), to diagnose vanishing or exploding gradients layer by layer;
- ``history.step_lr``: the learning rate of every optimizer step (the schedule as applied).

Example:
    >>> h = History()
    >>> h.append({'loss': 0.9, 'val_loss': 1.0}, grad_norms={'fc.weight': 0.5}, step_lr=[0.1, 0.1])
    >>> h.append({'loss': 0.5, 'val_loss': 0.7}, grad_norms={'fc.weight': 0.3}, step_lr=[0.05])
    >>> h['val_loss'], h.epochs, h.grad_norms['fc.weight'], len(h.step_lr)
    ([1.0, 0.7], 2, [0.5, 0.3], 3)
"""
import csv
import os


class History:
    """Per-epoch logs of a training run (see the module docstring)."""

    def __init__(self):
        self.history = {}
        self.grad_norms = {}
        self.step_lr = []

    @property
    def epochs(self):
        """The number of epochs recorded."""
        return max((len(v) for v in self.history.values()), default=0)

    def __getitem__(self, key):
        if key not in self.history:
            raise KeyError(f"History has no {key!r}; it has {sorted(self.history)}")
        return self.history[key]

    def __contains__(self, key):
        return key in self.history

    def append(self, logs, grad_norms=None, step_lr=()):
        """Record one epoch: ``logs`` {name: float}, gradient norms {parameter: float}, and
        the learning rates of its steps.

        A name missing this epoch (a parameter frozen for it has no gradient; a validation
        skipped) gets None, and a name seen for the first time gets None for the epochs
        before: every list keeps one entry per epoch, so entry i is always epoch i + 1.
        """
        done = self.epochs
        _append_row(self.history, logs, done)
        _append_row(self.grad_norms, grad_norms or {}, done)
        self.step_lr.extend(float(lr) for lr in step_lr)

    def last(self):
        """The logs of the last epoch, {name: value}."""
        return {key: values[-1] for key, values in self.history.items()}

    # ------------------------------------------------------------------ saving
    def state_dict(self):
        """A plain-data copy (for checkpoints)."""
        return {'history': {k: list(v) for k, v in self.history.items()},
                'grad_norms': {k: list(v) for k, v in self.grad_norms.items()},
                'step_lr': list(self.step_lr)}

    @classmethod
    def from_state_dict(cls, state):
        """The History that :meth:`state_dict` described."""
        history = cls()
        history.history = {k: list(v) for k, v in state['history'].items()}
        history.grad_norms = {k: list(v) for k, v in state['grad_norms'].items()}
        history.step_lr = list(state['step_lr'])
        return history

    def to_csv(self, path):
        """Write one row per epoch: ``epoch``, the logs, then ``grad_norm/<parameter>`` columns."""
        columns = list(self.history) + [f'grad_norm/{name}' for name in self.grad_norms]
        values = list(self.history.values()) + list(self.grad_norms.values())
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, 'w', newline='') as f:
            writer = csv.writer(f)
            writer.writerow(['epoch'] + columns)
            for epoch in range(self.epochs):
                writer.writerow([epoch + 1] + [_cell(v, epoch) for v in values])

    def plot(self, path=None):
        """Loss and metric curves (train and validation) as a matplotlib Figure, saved to
        ``path`` when given (see :func:`minidl.viz.training.plot_history`)."""
        from ..viz.training import plot_history
        return plot_history(self, path)


def _append_row(table, row, done):
    """Append ``row`` {name: value} to ``table`` {name: [one value per epoch]}, which holds
    ``done`` epochs, padding with None so that every list ends with ``done + 1`` entries."""
    for key in list(table) + [key for key in row if key not in table]:
        value = row.get(key)
        table.setdefault(key, [None] * done).append(None if value is None else float(value))


def _cell(values, epoch):
    value = values[epoch] if epoch < len(values) else None
    return '' if value is None else repr(value)
