"""Callbacks: code that :func:`~minidl.train.fit` runs at fixed points of training.

A callback subclasses :class:`Callback` and overrides any of its hooks. Each hook gets the
``run`` (a :class:`~minidl.train.loop.Run`: ``run.model``, ``run.optimizer``,
``run.scheduler``, ``run.history``, ``run.train_loader``, ``run.config``) and may set
``run.stop_training = True`` to end training after the current epoch. Epoch indices passed to
hooks count from 0; messages print them from 1.

- :class:`EarlyStopping` stops when a monitored value has not improved for ``patience``
  epochs, and can put back the best weights seen;
- :class:`ModelCheckpoint` writes a full checkpoint (model, optimizer, scheduler, RNG) every
  epoch or only when the monitored value improves.

(The NaN/inf guard is built into ``fit``: it stops before a non-finite loss reaches the
weights; see :class:`~minidl.train.loop.NonFiniteLossError`.)

Example:
    >>> stop = EarlyStopping(monitor='val_loss', patience=1)
    >>> stop.mode, EarlyStopping(monitor='val_accuracy').mode
    ('min', 'max')
"""
import math
import os
import re
import string

from .checkpoint import save_checkpoint


class Callback:
    """Base class: every hook does nothing. Override the ones you need."""

    def on_train_begin(self, run):
        """Before the first epoch (also after ``fit(resume_from=...)`` has restored the run)."""

    def on_epoch_begin(self, run, epoch):
        """At the start of epoch ``epoch`` (0-based)."""

    def on_batch_end(self, run, batch, logs):
        """After the optimizer step of batch ``batch``; ``logs`` holds the batch ``loss``."""

    def on_epoch_end(self, run, epoch, logs):
        """After epoch ``epoch``'s validation; ``logs`` holds its losses, metrics, lr, seconds."""

    def on_train_end(self, run):
        """After the last epoch (or an early stop)."""


def _auto_mode(owner, monitor):
    """The direction ``mode='auto'`` reads from a monitored name, by Keras 3's rule
    (``MonitorCallback._set_monitor_op``): without its ``val_`` prefix, ``loss`` is minimized
    and a metric known to grow with quality is maximized (here minidl's accuracies:
    ``accuracy``, ``top_k_accuracy``, ``top3_accuracy`` ...). Any other name (``val_mae``, a
    function of yours) could go either way, so the caller must say which."""
    name = monitor.removeprefix('val_')
    if name == 'loss':
        return 'min'
    if re.fullmatch(r'(top\d+_|top_k_)?accuracy', name):
        return 'max'
    raise ValueError(f"{owner}: mode='auto' cannot tell whether {monitor!r} should be minimized or "
                     f"maximized (it knows 'loss' and the accuracies); pass mode='min' or mode='max'")


class _MonitorMixin:
    """The shared logic of 'is this value better than the best so far?'.

    As in Keras, the best starts at the worst possible value, +inf when minimizing (-inf when
    maximizing): the first finite value improves on it, and a NaN never improves on anything
    (every comparison with NaN is false). Starting from the first value instead made a NaN
    first epoch the best forever.
    """

    def _init_monitor(self, monitor, mode, min_delta):
        if mode not in ('auto', 'min', 'max'):
            raise ValueError(f"{type(self).__name__}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor = monitor
        self.mode = _auto_mode(type(self).__name__, monitor) if mode == 'auto' else mode
        self.min_delta = abs(float(min_delta))
        self.best = self._worst()

    def _worst(self):
        return math.inf if self.mode == 'min' else -math.inf

    def _value(self, logs):
        if self.monitor not in logs:
            raise KeyError(f"{type(self).__name__}: monitor {self.monitor!r} is not among the logged "
                           f"values {sorted(logs)} (did you pass a val_loader?)")
        return logs[self.monitor]

    def _recorded(self, run):
        """The monitored values of the epochs already in ``run.history`` (those of a resumed
        run), without the epochs that did not log it."""
        return [value for value in run.history.history.get(self.monitor, []) if value is not None]

    def _improved(self, value):
        if self.mode == 'min':
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(Callback, _MonitorMixin):
    """Stop training when ``monitor`` has not improved by more than ``min_delta`` for
    ``patience`` epochs. ``mode='auto'`` minimizes ``loss``/``val_loss`` and maximizes the
    accuracies; other names need ``mode='min'`` or ``'max'``.

    With ``restore_best_weights=True`` the model gets back, at the end of training, the
    weights of its best epoch (of this call: after a resume, epochs before it are counted for
    patience but their weights are not known).
    """

    def __init__(self, monitor='val_loss', patience=5, min_delta=0.0, mode='auto',
                 restore_best_weights=False):
        self._init_monitor(monitor, mode, min_delta)
        self.patience = int(patience)
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, run):
        self.best, self.wait, self.best_weights, self.stopped_epoch = self._worst(), 0, None, None
        for value in self._recorded(run):
            self._record(value)

    def _record(self, value):
        if self._improved(value):
            self.best, self.wait = value, 0
            return True
        self.wait += 1
        return False

    def on_epoch_end(self, run, epoch, logs):
        if self._record(self._value(logs)):
            if self.restore_best_weights:
                self.best_weights = run.model.state_dict()
        elif self.wait >= self.patience:
            run.stop_training = True
            self.stopped_epoch = epoch
            run.log(f"EarlyStopping: {self.monitor} has not improved on {self.best:.4g} for "
                    f"{self.wait} epochs; stopping after epoch {epoch + 1}")

    def on_train_end(self, run):
        if self.restore_best_weights and self.best_weights is not None:
            run.model.load_state_dict(self.best_weights)


class ModelCheckpoint(Callback, _MonitorMixin):
    """Save a full checkpoint (see :func:`~minidl.train.save_checkpoint`) to ``path`` after
    every epoch, or with ``save_best_only=True`` only when ``monitor`` improves. ``path`` is a
    format string (``str.format``) filled with ``epoch`` and the logged names, e.g.
    ``'ckpt-{epoch:03d}.npz'``; a literal brace is written twice, ``{{`` or ``}}``."""

    def __init__(self, path, monitor='val_loss', save_best_only=False, mode='auto'):
        self._init_monitor(monitor, mode, 0.0)
        self.path = _check_path_fields(os.fspath(path))
        self.save_best_only = save_best_only
        self.last_saved = None

    def on_train_begin(self, run):
        self.best = self._worst()
        for value in self._recorded(run):
            if self._improved(value):
                self.best = value

    def on_epoch_end(self, run, epoch, logs):
        if self.save_best_only:
            value = self._value(logs)
            if not self._improved(value):
                return
            self.best = value
        try:
            self.last_saved = self.path.format(epoch=epoch + 1, **logs)
        except KeyError as error:
            raise KeyError(f"ModelCheckpoint: path {self.path!r} names {error}, which is neither 'epoch' "
                           f"nor a logged value {sorted(logs)}") from None
        save_checkpoint(self.last_saved, run.model, run.optimizer, run.scheduler, epoch + 1,
                        run.history, loader=run.train_loader, config=run.config)


def _check_path_fields(path):
    """``path`` itself, once it is known to be a format string that names its fields: a
    positional field (``{}``, ``{1}``) can never be filled, and an unmatched brace never
    parsed; both are refused here rather than after the first epoch, with the way to write a
    literal brace."""
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(path) if field is not None]
    except ValueError as error:
        raise ValueError(f"ModelCheckpoint: path {path!r} is not a valid format string ({error}); "
                         f"write {{{{ and }}}} for literal braces") from None
    # a field names the argument before its first '.' or '[' ({epoch.real}, {0[1]}): by name
    # if that is an identifier, by position otherwise
    positional = [field for field in fields if not re.split(r'[.[]', field)[0].isidentifier()]
    if positional:
        raise ValueError(f"ModelCheckpoint: path {path!r} has the positional field(s) "
                         f"{', '.join('{' + field + '}' for field in positional)}; it is filled with "
                         f"'epoch' and the logged values by name, e.g. {{epoch:03d}}; write {{{{ and }}}} "
                         f"for literal braces")
    return path
