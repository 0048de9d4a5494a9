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
    too, so training continues exactly. If the file is truncated or corrupt, or its state does
    not fit the model/optimizer/scheduler, a :class:`~minidl.serialization.CheckpointError`
    says why and none of the objects is changed.
    """
    state = load(path)
    if not isinstance(state, dict) or state.get('kind') != KIND:
        raise CheckpointError(f"load_checkpoint: {path} is a minidl file but not a training "
                              f"checkpoint (written by minidl.save, not save_checkpoint?)")
    targets = [(name, obj) for name, obj in (('model', model), ('optimizer', optimizer),
                                             ('scheduler', scheduler)) if obj is not None]
    missing = [name for name, _ in targets if state[name] is None]
    if missing:
        raise CheckpointError(f"load_checkpoint: {path} holds no {' or '.join(missing)} state")
    before = [(obj, obj.state_dict()) for _, obj in targets]
    rng_before = backend.get_rng_state()
    if restore_rng:
        try:
            backend.set_rng_state(state['rng'])
        except (ValueError, TypeError, KeyError) as error:
            raise CheckpointError(f"load_checkpoint: {path} holds a random-generator state this minidl "
                                  f"cannot restore (written by an older version?), nothing was changed; "
                                  f"restore_rng=False loads the rest:\n{error}") from None
    try:
        for name, obj in targets:
            obj.load_state_dict(state[name])
    except Exception as error:
        for restored, saved in before:
            restored.load_state_dict(saved)
        backend.set_rng_state(rng_before)
        raise CheckpointError(f"load_checkpoint: {path} does not fit the given {name} "
                              f"({type(obj).__name__}), nothing was changed:\n{error}") from None
    if restore_rng:
        generator = _loader_generator(loader)
        if generator is not None and state['loader_rng'] is not None:
            generator.bit_generator.state = state['loader_rng']
    if state['history'] is not None:
        state['history'] = History.from_state_dict(state['history'])
    return state
