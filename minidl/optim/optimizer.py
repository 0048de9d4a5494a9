"""``Optimizer``: the base class of every update rule (SGD, Adam, ...).

An optimizer holds the parameters it updates in *parameter groups*: a list of dicts, each
with a ``'params'`` list and its own hyperparameters (``lr``, ``momentum``, ...), so that
e.g. a pretrained body and a new head can learn at different rates. Hyperparameters a group
does not name are filled in from the optimizer's defaults.

Each step, for every parameter ``p`` that has a gradient, the subclass's :meth:`update`
changes ``p.data`` *in place* from ``g = p.grad`` (or ``-p.grad`` with ``maximize=True``)
and the parameter's per-parameter ``state`` (momentum buffers, moment estimates, step
counts). The update works on raw xp arrays under ``no_grad``: it is not part of any graph.
Afterwards the parameter's constraint, if it has one, projects it back
(:func:`minidl.nn.apply_constraint`). Parameters whose ``grad`` is None are skipped.

Example:
    >>> import minidl
    >>> from minidl.nn import Parameter
    >>> body, head = Parameter(minidl.ones(2)), Parameter(minidl.ones(3))
    >>> opt = minidl.optim.SGD([{'params': [body]}, {'params': [head], 'lr': 0.5}], lr=0.1)
    >>> [group['lr'] for group in opt.param_groups]
    [0.1, 0.5]
    >>> (body.sum() + head.sum()).backward()
    >>> opt.step()
    >>> [round(v, 4) for v in body.tolist() + head.tolist()]
    [0.9, 0.9, 0.5, 0.5, 0.5]
"""
import copy
import numbers

from .. import backend
from ..autograd.grad_mode import enable_grad, no_grad
from ..autograd.tensor import Tensor
from ..nn.parameter import apply_constraint

# The keys learning-rate schedulers write into a parameter group next to its hyperparameters
# (every scheduler: initial_lr; OneCycleLR: max_lr, min_lr, base_momentum, max_momentum).
# They describe a schedule, not the update rule: a loaded state may carry them or not.
SCHEDULE_KEYS = frozenset({'initial_lr', 'max_lr', 'min_lr', 'base_momentum', 'max_momentum'})


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``step``, ``zero_grad``, state dicts.

    Subclasses pass their defaults to ``__init__`` and implement
    ``update(param, grad, state, group)`` on raw arrays; they may extend
    ``_check_hyperparameters(group)`` with checks of their own.
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}                      # parameter -> dict of its state (buffers, step)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(f"{self._name}: params must be an iterable of Tensors or of dicts "
                            "(parameter groups), got a single Tensor; wrap it in a list")
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{self._name}: parameters must be given in a fixed order (a list), not a set")
        groups = list(params)
        if not groups:
            raise ValueError(f"{self._name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{'params': groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self):
        return type(self).__name__

    def __repr__(self):
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items()) if key != 'params']
        return '\n'.join(lines + [')'])

    # ------------------------------------------------------------------ parameter groups
    def add_param_group(self, param_group):
        """Add a group (a dict with ``'params'`` and optional hyperparameters) to optimize.

        Missing hyperparameters are taken from the defaults. A parameter may belong to only
        one group. On an invalid group nothing changes and a ValueError/TypeError says why.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"{self._name}.add_param_group: expected a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get('params')
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{self._name}: parameters must be given in a fixed order (a list), not a set")
        elif params is None:
            raise ValueError(f"{self._name}: a parameter group needs a 'params' entry")
        else:
            params = list(params)
        index = len(self.param_groups)
        if not params:
            raise ValueError(f"{self._name}: got an empty parameter list (group {index})")
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{self._name}: can only optimize Tensors, but parameter {i} of "
                                f"group {index} is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{self._name}: can't optimize a non-leaf Tensor (parameter {i} of "
                                 f"group {index} was computed by {p.grad_fn!r})")
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{self._name}: a parameter appears twice in group {index}")
        taken = {id(p) for g in self.param_groups for p in g['params']}
        if any(id(p) in taken for p in params):
            raise ValueError(f"{self._name}: a parameter of group {index} is already in another group; "
                             "each parameter may belong to one group only")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_hyperparameters(group)
        group['params'] = params
        self.param_groups.append(group)

    def _check_hyperparameters(self, group):
        """Raise a ValueError naming any hyperparameter outside its valid range."""
        def require(ok, what):
            if not ok:
                raise ValueError(f"{self._name}: invalid {what}")
        require(group['lr'] >= 0, f"learning rate lr={group['lr']}: it must be >= 0")
        for name in ('eps', 'weight_decay', 'momentum'):
            if name in group:
                require(group[name] >= 0, f"{name}={group[name]}: it must be >= 0")
        if 'betas' in group:
            require(len(group['betas']) == 2, f"betas={group['betas']}: expected two (beta1, beta2)")
            for i, beta in enumerate(group['betas']):
                require(0 <= beta < 1, f"betas[{i}]={beta}: each beta must be in [0, 1)")

    # ------------------------------------------------------------------ the step
    def zero_grad(self, set_to_none=True):
        """Forget the gradients: set each ``p.grad`` to None (default) or fill it with zeros."""
        for group in self.param_groups:
            for p in group['params']:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.data[...] = 0

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()`` if one is given.

        ``closure`` (optional) re-evaluates the model and returns the loss; it is called
        with gradient recording on, before the update.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group['params']:
                    if p.grad is None:
                        continue
                    grad = -p.grad.data if group.get('maximize') else p.grad.data
                    self.update(p.data, grad, self.state.setdefault(p, {}), group)
                    p._changed_in_place()           # (a graph that saved p can tell: Function.saved_tensors)
                    apply_constraint(p)
        return loss

    def update(self, param, grad, state, group):
        """Change the array ``param`` in place from ``grad``; subclasses write the algorithm here.

        ``grad`` must not be modified in place (it may be the parameter's ``.grad``).
        """
        raise NotImplementedError(f"{self._name} must implement update(param, grad, state, group)")

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self):
        """A copy of the optimizer's state: ``{'optimizer': name, 'state': {index: {...}},
        'param_groups': [...]}``.

        Parameters are named by their index in the order of the groups (as PyTorch does), so
        the dict can be loaded into a fresh optimizer built over the same model. The class
        name is kept so that a refused load can say which optimizer wrote the state.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {key: copy.deepcopy(value) for key, value in group.items() if key != 'params'}
            packed['params'] = [index.setdefault(id(p), len(index)) for p in group['params']]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group['params']:
                if self.state.get(p):
                    state[index[id(p)]] = {key: _copied(value) for key, value in self.state[p].items()}
        return {'optimizer': self._name, 'state': state, 'param_groups': groups}

    def load_state_dict(self, state_dict):
        """Restore a state from :meth:`state_dict` (hyperparameters and per-parameter state).

        Everything is checked before anything is written; a state that does not fit raises
        a ValueError (a TypeError if it is not a state dict at all) saying where, and the
        optimizer is left as it was:

        - the numbers of groups, and of parameters in each, must match;
        - each group must have this optimizer's hyperparameters, no more and no fewer, so
          that e.g. an SGD state (momentum, dampening, nesterov) does not load into Adam;
          the keys schedulers add (:data:`SCHEDULE_KEYS`) may differ. Adam and AdamW, one
          rule with a flag, share their hyperparameters: each loads the other's state, flag
          included (as in PyTorch);
        - the per-parameter state must belong to parameters of the groups, and each of its
          arrays must have its parameter's shape (counters such as ``step`` are scalars).

        Each group then holds exactly the state's keys (a schedule key the state lacks is
        dropped), so that loading what :meth:`state_dict` returned restores the optimizer
        exactly, e.g. to undo a load (:func:`~minidl.train.load_checkpoint` does).

        This is stricter than PyTorch (2.x), whose load takes a buffer of the wrong shape (the
        next step fails), state for an index no parameter has (silently kept), or Adam's
        hyperparameters into RAdam, and raises a bare KeyError for an SGD state in Adam.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"{self._name}.load_state_dict: expected the dict of state_dict(), "
                            f"got {type(state_dict).__name__}")
        saved_groups = self._checked_groups(state_dict)
        by_index = self._parameters_by_index(saved_groups)
        state = {}
        for index, saved_state in state_dict['state'].items():
            p = self._parameter_at(index, by_index)
            self._check_parameter_state(index, p, saved_state)
            state[p] = {key: _copied(value, p) for key, value in saved_state.items()}
        for group, saved in zip(self.param_groups, saved_groups):
            params = group['params']
            group.clear()                 # the state's keys replace the group's, as in PyTorch
            group.update({key: copy.deepcopy(value) for key, value in saved.items() if key != 'params'})
            group['params'] = params
        self.state = state

    def _checked_groups(self, state_dict):
        """The state dict's groups, checked to be this optimizer's, group for group."""
        name = f"{self._name}.load_state_dict"
        saved_groups, saved_state = state_dict.get('param_groups'), state_dict.get('state')
        if not isinstance(saved_groups, list) or not isinstance(saved_state, dict):
            raise ValueError(f"{name}: expected a dict with a 'param_groups' list and a 'state' dict, "
                             f"got {type(saved_groups).__name__} and {type(saved_state).__name__}")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}: the optimizer has {len(self.param_groups)} "
                             f"parameter groups, the state dict has {len(saved_groups)}")
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if not (isinstance(saved, dict) and isinstance(saved.get('params'), list)
                    and all(isinstance(index, int) for index in saved['params'])):
                raise ValueError(f"{name}: group {i} of the state dict is not a dict with a 'params' "
                                 f"list of parameter indices")
            self._check_hyperparameter_names(i, saved, state_dict.get('optimizer'))
            if len(group['params']) != len(saved['params']):
                raise ValueError(f"{name}: group {i} has {len(group['params'])} "
                                 f"parameters, the state dict's has {len(saved['params'])}")
        return saved_groups

    def _check_hyperparameter_names(self, i, saved, written_by):
        """Raise unless group ``i`` of the state has the keys of this optimizer's group ``i``
        (apart from the schedules' keys): the state of another update rule would load
        hyperparameters this one ignores and lack the ones it reads."""
        saved_names = set(saved) - {'params'} - SCHEDULE_KEYS
        own_names = set(self.param_groups[i]) - {'params'} - SCHEDULE_KEYS
        if saved_names == own_names:
            return
        source = f"the state of {written_by}" if written_by else "the state of another optimizer?"
        raise ValueError(f"{self._name}.load_state_dict: group {i} of the state dict ({source}) does "
                         f"not hold {self._name}'s hyperparameters: "
                         f"{key_differences(saved_names, own_names, self._name)}")

    def _parameters_by_index(self, saved_groups):
        """{index in the state dict: this optimizer's parameter}, group by group, in order."""
        by_index = {}
        for group, saved in zip(self.param_groups, saved_groups):
            by_index.update(zip(saved['params'], group['params']))
        if len(by_index) != sum(len(group['params']) for group in self.param_groups):
            raise ValueError(f"{self._name}.load_state_dict: the state dict's groups list a parameter "
                             f"index twice: {[saved['params'] for saved in saved_groups]}")
        return by_index

    def _parameter_at(self, index, by_index):
        """The parameter that the state dict's ``state[index]`` belongs to."""
        try:
            return by_index[int(index)]
        except (TypeError, ValueError, KeyError):
            raise ValueError(f"{self._name}.load_state_dict: the state dict has state for parameter "
                             f"{index!r}, but its groups list the parameters {sorted(by_index)}") from None

    def _check_parameter_state(self, index, p, saved_state):
        """Raise unless every entry of ``saved_state`` is a scalar or an array shaped like ``p``
        (shapes only: the arrays may be NumPy or CuPy, on any device)."""
        name = f"{self._name}.load_state_dict"
        if not isinstance(saved_state, dict):
            raise ValueError(f"{name}: the state of parameter {index} is a {type(saved_state).__name__}, "
                             f"expected a dict of arrays and numbers")
        for key, value in saved_state.items():
            shape = getattr(value, 'shape', None)
            if shape is None and not isinstance(value, numbers.Number):
                raise ValueError(f"{name}: state[{index}][{key!r}] is a {type(value).__name__}, "
                                 f"expected an array or a number")
            if shape not in (None, ()) and tuple(shape) != tuple(p.shape):
                raise ValueError(f"{name}: state[{index}][{key!r}] has shape {tuple(shape)}, but "
                                 f"parameter {index} has shape {tuple(p.shape)}")


def key_differences(found, expected, owner):
    """'it has a, b, which <owner> does not have; it lacks c': how the key set ``found`` of a
    loaded state differs from the set ``expected`` of ``owner`` (for load_state_dict errors)."""
    differences = []
    if found - expected:
        differences.append(f"it has {', '.join(sorted(found - expected))}, which {owner} does not have")
    if expected - found:
        differences.append(f"it lacks {', '.join(sorted(expected - found))}")
    return '; '.join(differences)


def _copied(value, like=None):
    """A copy of a state entry; arrays are copied (onto ``like``'s device, and into its float
    dtype if they hold floats, when given: as PyTorch casts a loaded state to its parameter's)."""
    if hasattr(value, 'shape') and hasattr(value, 'dtype') and getattr(value, 'ndim', 0) > 0:
        moved = value if like is None else backend.to_device(value, like.device)
        if like is not None and moved.dtype.kind == 'f' and like.dtype.kind == 'f' and moved.dtype != like.dtype:
            return moved.astype(like.dtype)
        return moved.copy() if moved is value else moved
    return copy.deepcopy(value)
