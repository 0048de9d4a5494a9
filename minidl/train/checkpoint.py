"""Training checkpoints: everything needed to continue a run exactly where it stopped.

A checkpoint (written with :func:`minidl.save`: ``.npz`` + JSON, atomically) holds the
model's parameters and buffers, the optimizer's and scheduler's state, the number of epochs
done, the :class:`~minidl.train.History`, minidl's CPU random generator (dropout masks,
augmentation) and the shuffling generator of the training DataLoader, plus an optional
``config`` dict (the CLI stores its settings there so ``minidl evaluate`` can rebuild the
model and the data split).

Example:
    >>> import os, tempfile, minidl
    >>> from minidl import nn
    >>> model = nn.Linear(2, 1)
    >>> path = os.path.join(tempfile.mkdtemp(), 'ckpt.npz')
    >>> save_checkpoint(path, model, epoch=3, config={'lr': 0.1})
    >>> other = nn.Linear(2, 1)
    >>> state = load_checkpoint(path, other)
    >>> state['epoch'], state['config'], bool((other.weight.numpy() == model.weight.numpy()).all())
    (3, {'lr': 0.1}, True)
"""
from .. import backend
from ..serialization import CheckpointError, load, save
from .history import History

KIND = 'minidl-checkpoint'
# the entries save_checkpoint writes: a file that lacks one is damaged
ENTRIES = ('kind', 'epoch', 'model', 'optimizer', 'scheduler', 'history', 'rng', 'loader_rng', 'config')


def _loader_generator(loader):
    """The DataLoader's own shuffling generator (a numpy Generator), or None."""
    generator = getattr(loader, 'generator', None)
    return generator if hasattr(generator, 'bit_generator') else None


def save_checkpoint(path, model, optimizer=None, scheduler=None, epoch=0, history=None,
                    loader=None, config=None):
    """Write a checkpoint of a training run to ``path`` (atomically; see the module docstring)."""
    generator = _loader_generator(loader)
    save({'kind': KIND, 'epoch': int(epoch), 'model': model.state_dict(),
          'optimizer': optimizer.state_dict() if optimizer is not None else None,
          'scheduler': scheduler.state_dict() if scheduler is not None else None,
          'history': history.state_dict() if history is not None else None,
          'rng': backend.get_rng_state(),
          'loader_rng': generator.bit_generator.state if generator is not None else None,
          'config': config}, path)


def load_checkpoint(path, model=None, optimizer=None, scheduler=None, loader=None, restore_rng=True):
    """Read the checkpoint at ``path`` into the given objects and return its contents as a
    dict (``epoch``, ``config``, ``history`` as a :class:`History` or None, ...).

    With ``restore_rng`` minidl's generator and the loader's shuffling generator are set back
    too, so training continues exactly. All or nothing: if the file is truncated or corrupt,
    or one of its states does not fit (the model, optimizer, scheduler, minidl's generators or
    the loader's), a :class:`~minidl.serialization.CheckpointError` says why and every object
    is as it was: what was read before the misfit is put back (see :func:`_load_all_or_nothing`).
    """
    state = _read_checkpoint(path)
    targets = [(name, obj) for name, obj in (('model', model), ('optimizer', optimizer),
                                             ('scheduler', scheduler)) if obj is not None]
    missing = [name for name, _ in targets if state[name] is None]
    if missing:
        raise CheckpointError(f"load_checkpoint: {path} holds no {' or '.join(missing)} state")
    history = _history(state['history'], path)
    parts = [(f"does not fit the given {name} ({type(obj).__name__})", obj.load_state_dict,
              state[name], obj.state_dict()) for name, obj in targets]
    if restore_rng:
        parts += _generator_parts(state, loader)
    _load_all_or_nothing(path, parts)
    state['history'] = history
    return state


def _read_checkpoint(path):
    """The dict save_checkpoint wrote to ``path``, checked to have all of its entries."""
    state = load(path)
    if not isinstance(state, dict) or state.get('kind') != KIND:
        raise CheckpointError(f"load_checkpoint: {path} is a minidl file but not a training "
                              f"checkpoint (written by minidl.save, not save_checkpoint?)")
    missing = [key for key in ENTRIES if key not in state]
    if missing:
        raise CheckpointError(f"load_checkpoint: {path} is a damaged training checkpoint: "
                              f"it has no {', '.join(missing)}")
    return state


def _history(state, path):
    """The History that a checkpoint's ``history`` entry describes (None for none)."""
    if state is None:
        return None
    try:
        return History.from_state_dict(state)
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise CheckpointError(f"load_checkpoint: {path} holds a history that cannot be read "
                              f"({type(error).__name__}: {error}); nothing was changed") from None


def _generator_parts(state, loader):
    """The parts for minidl's generators and the loader's (see :func:`_load_all_or_nothing`)."""
    hint = "; restore_rng=False loads the rest"
    parts = [("holds a random-generator state this minidl cannot restore (written by an older "
              "version?)" + hint, backend.set_rng_state, state['rng'], backend.get_rng_state())]
    generator = _loader_generator(loader)
    if generator is not None and state['loader_rng'] is not None:
        def set_loader_state(value):
            generator.bit_generator.state = value
        parts.append((f"holds a shuffling-generator state the loader's "
                      f"{type(generator.bit_generator).__name__} cannot take" + hint,
                      set_loader_state, state['loader_rng'], generator.bit_generator.state))
    return parts


def _load_all_or_nothing(path, parts):
    """Load each part: ``(what a misfit says, load, state from the file, state now)``.

    The loads cannot all be checked first (a model, a bit generator check their state as
    they take it), so if one fails, every part up to it, the failed one too, is loaded back
    with its state from before, and a CheckpointError says which part did not fit.
    """
    for i, (misfit, load_part, saved, _) in enumerate(parts):
        try:
            load_part(saved)
        except Exception as error:
            for _, undo, _, before in parts[:i + 1]:
                undo(before)
            raise CheckpointError(f"load_checkpoint: {path} {misfit}, nothing was changed:\n"
                                  f"{error}") from None
