"""The training loop: ``fit`` trains a model and ``evaluate`` measures it on a loader.

One epoch of :func:`fit` is, for every mini-batch ``(x, y)`` of ``train_loader``::

    optimizer.zero_grad()
    output = model(x)                                   # model.train(): dropout on, BN batch stats
    loss = loss_fn(output, y) + model.regularization_loss()
    loss.backward()
    clip_grad_norm_(model.parameters(), clip_grad_norm)  # if clip_grad_norm is set
    optimizer.step()                                    # (applies weight constraints)
    scheduler.step()                                    # if scheduler_interval == 'batch'

then validation on ``val_loader`` (``model.eval()`` and ``no_grad()``: dropout off, BN
running stats), then ``scheduler.step()`` if ``scheduler_interval == 'epoch'`` (a
``ReduceLROnPlateau`` gets ``val_loss``, or the training ``loss`` without a ``val_loader``),
then the callbacks, then the checkpoint. The checkpoint comes last because it records the
epoch as done: what the callbacks write for the epoch (``ModelCheckpoint``'s best
checkpoint) is on disk before it, and a crash in between leaves the previous checkpoint, from
which a resumed run does the epoch again. (The other way round, a crash after the checkpoint
left a best checkpoint that missed this epoch, and the resumed run never wrote it again.)

The reported ``loss`` is the data loss (without the regularization penalty), averaged over
samples, so that it compares with ``val_loss``.

Example:
    >>> import minidl
    >>> from minidl import nn, optim
    >>> from minidl.data import DataLoader, TensorDataset, make_spirals
    >>> x, y = make_spirals(n_samples=90, n_classes=3, seed=0)
    >>> loader = DataLoader(TensorDataset(x, y), batch_size=30, shuffle=True, seed=0)
    >>> model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    >>> h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader,
    ...         epochs=2, val_loader=loader, verbose=0)
    >>> h.epochs, sorted(h.history)
    (2, ['accuracy', 'loss', 'lr', 'seconds', 'val_accuracy', 'val_loss'])
"""
import math
import sys
import time

import numpy

from .. import backend
from ..autograd import no_grad
from .checkpoint import load_checkpoint, save_checkpoint
from .history import History
from .metrics import get_metric


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite; training stopped before that step changed the weights.

    ``history`` holds the epochs completed before it.
    """

    def __init__(self, message, history):
        super().__init__(message)
        self.history = history


class Run:
    """What the callbacks see of a training run (see :mod:`minidl.train.callbacks`)."""

    def __init__(self, model, optimizer, scheduler, train_loader, history, callbacks, config, verbose):
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.train_loader, self.history, self.config = train_loader, history, config
        self.callbacks, self.verbose = list(callbacks), verbose
        self.stop_training = False

    def log(self, message):
        """Print ``message`` unless the run is silent (``verbose=0``)."""
        if self.verbose:
            print(message, file=sys.stderr if _use_progress_bar(self.verbose) else sys.stdout)


def _use_progress_bar(verbose):
    return verbose == 1 and sys.stderr.isatty()


def _batch_size(y):
    return int(y.shape[0]) if getattr(y, 'ndim', 0) else 1


def _current_lr(optimizer):
    return float(optimizer.param_groups[0]['lr'])


def _is_plateau(scheduler):
    from ..optim import lr_scheduler
    plateau = getattr(lr_scheduler, 'ReduceLROnPlateau', None)
    return plateau is not None and isinstance(scheduler, plateau)


def evaluate(model, loader, loss_fn=None, metrics=('accuracy',)):
    """{``loss`` (if ``loss_fn``), each metric} of ``model`` on all batches of ``loader``,
    computed in eval mode without gradients; the model's mode is restored afterwards.

    Metrics are computed once on the outputs of the whole loader, so ``'confusion_matrix'``
    works here (it returns an array); the loss is the sample-weighted mean of batch losses.

    >>> import numpy as np, minidl
    >>> from minidl import nn
    >>> from minidl.data import DataLoader, TensorDataset
    >>> model = nn.Linear(2, 2)
    >>> loader = DataLoader(TensorDataset(np.ones((4, 2), np.float32), np.array([0, 1, 0, 1])), batch_size=3)
    >>> evaluate(model, loader, metrics=('accuracy',))
    {'accuracy': 0.5}
    """
    named = [get_metric(m) for m in metrics]
    was_training = model.training
    model.eval()
    outputs, targets, total, count = [], [], 0.0, 0
    try:
        with no_grad():
            for x, y in loader:
                output = model(x)
                if loss_fn is not None:
                    total += float(loss_fn(output, y).item()) * _batch_size(y)
                count += _batch_size(y)
                outputs.append(backend.to_numpy(output.data))
                targets.append(backend.to_numpy(y.data))
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the loader yielded no batches")
    output, target = numpy.concatenate(outputs), numpy.concatenate(targets)
    results = {'loss': total / count} if loss_fn is not None else {}
    results.update({name: fn(output, target) for name, fn in named})
    return results


def fit(model, loss_fn, optimizer, train_loader, epochs, val_loader=None, scheduler=None,
        scheduler_interval='epoch', callbacks=(), metrics=('accuracy',), clip_grad_norm=None,
        verbose=1, resume_from=None, checkpoint_path=None, config=None):
    """Train ``model`` for ``epochs`` epochs (in total, counting those of a resumed run) and
    return its :class:`~minidl.train.History`. See the module docstring for one epoch.

    - ``scheduler_interval``: ``'epoch'`` (step the scheduler after each epoch: StepLR,
      CosineAnnealingLR with T_max in epochs, ReduceLROnPlateau) or ``'batch'`` (after each
      optimizer step: OneCycleLR, warm-up and cosine counted in steps). fit does not guess;
    - ``metrics``: names (``'accuracy'``, ``'top3_accuracy'``) or ``fn(output, target)``,
      averaged over samples; validation values get the prefix ``val_``;
    - ``clip_grad_norm``: clip the global gradient L2 norm to this value before each step;
    - ``verbose``: 0 silent, 1 a tqdm progress bar with live loss/accuracy when stderr is a
      terminal (otherwise one line per epoch), 2 one line per epoch;
    - ``checkpoint_path``: write a full checkpoint there after every epoch, once its callbacks
      are done;
    - ``resume_from``: a checkpoint from ``checkpoint_path`` / ``ModelCheckpoint``; the model,
      optimizer, scheduler, generators and history are restored and training goes on from
      the epoch after the saved one, exactly as if it had never stopped (NumPy backend);
    - ``config``: a plain dict stored in every checkpoint (e.g. how to rebuild the model).

    A NaN or infinite loss stops training with :class:`NonFiniteLossError` naming the epoch
    and batch, before it can change the weights or overwrite a checkpoint.
    """
    if scheduler_interval not in ('epoch', 'batch'):
        raise ValueError(f"fit: scheduler_interval must be 'epoch' or 'batch', got {scheduler_interval!r}")
    named = [get_metric(m) for m in metrics]
    history, start = History(), 0
    if resume_from is not None:
        state = load_checkpoint(resume_from, model, optimizer, scheduler, loader=train_loader)
        start, history = state['epoch'], state['history'] or History()
    run = Run(model, optimizer, scheduler, train_loader, history, callbacks, config, verbose)
    for callback in run.callbacks:
        callback.on_train_begin(run)
    for epoch in range(start, epochs):
        for callback in run.callbacks:
            callback.on_epoch_begin(run, epoch)
        logs = {'lr': _current_lr(optimizer)}
        started = time.perf_counter()
        train_logs, grad_norms, step_lr = _train_epoch(run, loss_fn, named, clip_grad_norm,
                                                       scheduler_interval, epoch, epochs)
        logs.update(train_logs)
        if val_loader is not None:
            val = evaluate(model, val_loader, loss_fn, metrics)
            logs.update({f'val_{name}': value for name, value in val.items()})
        logs['seconds'] = time.perf_counter() - started
        if scheduler is not None and scheduler_interval == 'epoch':
            if _is_plateau(scheduler):
                scheduler.step(logs.get('val_loss', logs['loss']))
            else:
                scheduler.step()
        history.append(logs, grad_norms, step_lr)
        run.log(_epoch_line(epoch, epochs, logs))
        for callback in run.callbacks:
            callback.on_epoch_end(run, epoch, logs)
        if checkpoint_path is not None:
            save_checkpoint(checkpoint_path, model, optimizer, scheduler, epoch + 1, history,
                            loader=train_loader, config=config)
        if run.stop_training:
            break
    for callback in run.callbacks:
        callback.on_train_end(run)
    return history


def _train_epoch(run, loss_fn, named, clip_grad_norm, scheduler_interval, epoch, epochs):
    """One pass over the training loader; returns (logs, mean grad norms, lr of each step)."""
    model, optimizer, scheduler = run.model, run.optimizer, run.scheduler
    model.train()
    sums, norm_sums, count, step_lr = {'loss': 0.0}, {}, 0, []
    batches = run.train_loader
    bar = None
    if _use_progress_bar(run.verbose):
        from tqdm import tqdm
        bar = batches = tqdm(batches, desc=f'epoch {epoch + 1}/{epochs}', leave=False, file=sys.stderr)
    for index, (x, y) in enumerate(batches):
        optimizer.zero_grad()
        output = model(x)
        loss = loss_fn(output, y)
        total = loss + model.regularization_loss()
        loss_value, total_value = float(loss.item()), float(total.item())
        if not math.isfinite(total_value):
            raise NonFiniteLossError(
                f"fit: the loss became {total_value} at epoch {epoch + 1}, batch {index + 1}; training "
                f"stopped before this step, so the parameters and the last checkpoint are those of the "
                f"last good step. Try a lower learning rate or clip_grad_norm.", run.history)
        total.backward()
        for name, norm in model.grad_norms().items():
            norm_sums[name] = norm_sums.get(name, 0.0) + norm
        if clip_grad_norm is not None:
            from ..optim import clip_grad_norm_
            clip_grad_norm_(model.parameters(), clip_grad_norm)
        step_lr.append(_current_lr(optimizer))
        optimizer.step()
        if scheduler is not None and scheduler_interval == 'batch':
            scheduler.step()
        n = _batch_size(y)
        count += n
        sums['loss'] += loss_value * n
        for name, fn in named:
            sums[name] = sums.get(name, 0.0) + fn(output, y) * n
        if bar is not None:
            bar.set_postfix({k: f'{v / count:.4f}' for k, v in sums.items()})
        for callback in run.callbacks:
            callback.on_batch_end(run, index, {'loss': loss_value})
    if bar is not None:
        bar.close()
    if count == 0:
        raise ValueError("fit: the training loader yielded no batches")
    steps = len(step_lr)
    return ({k: v / count for k, v in sums.items()},
            {name: s / steps for name, s in norm_sums.items()}, step_lr)


def _epoch_line(epoch, epochs, logs):
    shown = '  '.join(f'{k} {v:.4f}' for k, v in logs.items() if k not in ('lr', 'seconds'))
    return f"epoch {epoch + 1}/{epochs}  {shown}  lr {logs['lr']:.3g}  {logs['seconds']:.1f}s"
