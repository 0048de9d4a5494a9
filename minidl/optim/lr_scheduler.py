"""Learning-rate schedules: change each group's ``lr`` as training goes on.

A too-high learning rate makes the loss oscillate or diverge, a too-low one makes it crawl.
A schedule starts high and decays (step, exponential, cosine, inverse time), warms up first
(linear, one-cycle), or reacts to a stalled validation metric (:class:`ReduceLROnPlateau`).

PyTorch's protocol::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train(...)                # optimizer.step() for every batch
        scheduler.step()          # after optimizer.step()

Building a scheduler records each group's ``initial_lr`` (unless it is already there), sets
``lr`` for epoch 0, and counts as step 0: ``last_epoch`` is 0 afterwards.

Every schedule here is computed in *closed form* from ``base_lrs`` (the initial rates) and
``last_epoch``: ``get_lr()`` is the formula in the class docstring. PyTorch computes most
of them recursively from the current ``lr``; the values are the same (up to rounding) when
one scheduler drives the optimizer. To chain schedules use :class:`SequentialLR`; two
schedulers stepped on the same optimizer do not multiply here, the last one stepped wins.

Example:
    >>> import minidl
    >>> from minidl.nn import Parameter
    >>> from minidl.optim.lr_scheduler import StepLR
    >>> opt = minidl.optim.SGD([Parameter(minidl.zeros(1))], lr=1.0)
    >>> scheduler = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(6):
    ...     lrs.append(scheduler.get_last_lr()[0])
    ...     opt.step()
    ...     scheduler.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
"""
import bisect
import math

from .optimizer import Optimizer, key_differences


def _per_group(value, optimizer, name):
    """``value`` repeated for every group, or checked to have one entry per group."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"expected {n} values of {name} (one per parameter group), got {len(value)}")
        return list(value)
    return [value] * n


class LRScheduler:
    """Base class: ``step()``, ``get_last_lr()``, ``state_dict()``, ``load_state_dict()``.

    A subclass implements ``get_lr()``: the learning rate of each group at ``last_epoch``.
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault('initial_lr', group['lr'])
            elif 'initial_lr' not in group:
                raise KeyError(f"{type(self).__name__}: last_epoch={last_epoch} resumes a schedule, but "
                               f"param_groups[{i}] has no 'initial_lr'; build it with last_epoch=-1")
        self.base_lrs = [group['initial_lr'] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()                               # the initial step: epoch 0 (or last_epoch + 1)

    def get_lr(self):
        """The learning rate of each group at ``last_epoch``."""
        raise NotImplementedError

    def step(self, epoch=None):
        """Move to the next epoch (or to ``epoch``, >= 0) and set each group's ``lr``."""
        if epoch is not None and epoch < 0:
            raise ValueError(f"{type(self).__name__}.step: expected an epoch >= 0, got {epoch}")
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        self._set_lrs(self.get_lr())

    def _set_lrs(self, lrs):
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group['lr'] = lr
        self._last_lr = [group['lr'] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The learning rates the last ``step()`` set, one per group."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer (and LambdaLR's functions, which cannot be saved portably)."""
        return {key: value for key, value in self.__dict__.items() if key not in ('optimizer', 'lr_lambdas')}

    def load_state_dict(self, state_dict):
        """Restore a state from :meth:`state_dict`.

        The state must have the keys of this scheduler's own state dict: a StepLR's state
        (step_size, gamma) in a CosineAnnealingLR would be merged into it and never read.
        Otherwise a ValueError (a TypeError for something not a dict) names the difference
        and nothing is changed.
        """
        self._check_state_dict(state_dict)
        self.__dict__.update(state_dict)

    def _check_state_dict(self, state_dict):
        """Raise unless ``state_dict`` could have come from this scheduler's :meth:`state_dict`."""
        name = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}.load_state_dict: expected the dict of state_dict(), "
                            f"got {type(state_dict).__name__}")
        found, expected = set(state_dict), set(self.state_dict())
        if found != expected:
            raise ValueError(f"{name}.load_state_dict: the state is not a {name}'s (another "
                             f"scheduler's?): {key_differences(found, expected, name)}")


class LambdaLR(LRScheduler):
    """lr_t = base_lr · lr_lambda(t), with one function for all groups or one per group.

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> opt = minidl.optim.SGD([Parameter(minidl.zeros(1))], lr=0.1)
        >>> scheduler = minidl.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5 ** t)
        >>> scheduler.step(); scheduler.step()
        >>> scheduler.get_last_lr()
        [0.025]
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _per_group(lr_lambda, optimizer, 'lr_lambda')
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base_lr * lmbda(self.last_epoch) for base_lr, lmbda in zip(self.base_lrs, self.lr_lambdas)]


class StepLR(LRScheduler):
    """lr_t = base_lr · gamma^floor(t / step_size): decay by gamma every step_size epochs.

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> opt = minidl.optim.SGD([Parameter(minidl.zeros(1))], lr=1.0)
        >>> scheduler = minidl.optim.lr_scheduler.StepLR(opt, step_size=3)
        >>> for _ in range(3): scheduler.step()
        >>> scheduler.get_last_lr()
        [0.1]
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr_t = base_lr · gamma^(number of milestones ≤ t): decay by gamma at each milestone.

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> opt = minidl.optim.SGD([Parameter(minidl.zeros(1))], lr=1.0)
        >>> scheduler = minidl.optim.lr_scheduler.MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
        >>> for _ in range(3): scheduler.step()
        >>> scheduler.get_last_lr()
        [0.25]
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        passed = bisect.bisect_right(self.milestones, self.last_epoch)
        return [base_lr * self.gamma ** passed for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr_t = base_lr · gamma^t.

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> opt = minidl.optim.SGD([Parameter(minidl.zeros(1))], lr=1.0)
        >>> scheduler = minidl.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        >>> scheduler.step(); scheduler.step()
        >>> scheduler.get_last_lr()
        [0.25]
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


def _cosine(eta_max, eta_min, t, period):
    """eta_min + (eta_max - eta_min) · (1 + cos(π t / period)) / 2: eta_max at t = 0, eta_min at period."""
    return eta_min + (eta_max - eta_min) * (1 + math.cos(math.pi * t / period)) / 2


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing (Loshchilov & Hutter, 2017, "SGDR: stochastic gradient descent with
    warm restarts", ICLR), without restarts::

        lr_t = eta_min + (base_lr - eta_min) · (1 + cos(π t / T_max)) / 2

    from base_lr at t = 0 down to eta_min at t = T_max (and back up after, as a cosine does).

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> opt = minidl.optim.SGD([Parameter(minidl.zeros(1))], lr=1.0)
        >>> scheduler = minidl.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
        >>> for _ in range(2): scheduler.step()
        >>> scheduler.get_last_lr()
        [0.5]
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [_cosine(base_lr, self.eta_min, self.last_epoch, self.T_max) for base_lr in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing with warm restarts, SGDR (Loshchilov & Hutter, 2017)::

        lr_t = eta_min + (base_lr - eta_min) · (1 + cos(π T_cur / T_i)) / 2

    The first cycle lasts T_0 epochs, each next one T_mult times longer; T_cur counts the
    epochs since the last restart. Epochs may be fractional (``step(epoch + i / n_batches)``).

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> opt = minidl.optim.SGD([Parameter(minidl.zeros(1))], lr=1.0)
        >>> scheduler = minidl.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2)
        >>> lrs = [scheduler.get_last_lr()[0]]
        >>> for _ in range(4):
        ...     scheduler.step(); lrs.append(round(scheduler.get_last_lr()[0], 6))
        >>> lrs
        [1.0, 0.5, 1.0, 0.5, 1.0]
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"CosineAnnealingWarmRestarts: T_0 must be a positive integer, got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"CosineAnnealingWarmRestarts: T_mult must be an integer >= 1, got {T_mult}")
        self.T_0, self.T_mult, self.eta_min = T_0, T_mult, eta_min
        super().__init__(optimizer, last_epoch)

    def cycle_position(self, epoch):
        """(T_cur, T_i): the epochs since the last restart and the length of the current cycle."""
        if self.T_mult == 1:
            return epoch % self.T_0, self.T_0
        T_cur, T_i = epoch, self.T_0
        while T_cur >= T_i:                       # skip whole cycles: T_0, T_0 T_mult, T_0 T_mult², ...
            T_cur, T_i = T_cur - T_i, T_i * self.T_mult
        return T_cur, T_i

    def get_lr(self):
        T_cur, T_i = self.cycle_position(self.last_epoch)
        return [_cosine(base_lr, self.eta_min, T_cur, T_i) for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """Linear warm-up (or decay) of a multiplicative factor over total_iters epochs::

        lr_t = base_lr · (start_factor + (end_factor - start_factor) · min(t, total_iters) / total_iters)

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> opt = minidl.optim.SGD([Parameter(minidl.zeros(1))], lr=1.0)
        >>> scheduler = minidl.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3)
        >>> lrs = [scheduler.get_last_lr()[0]]
        >>> for _ in range(4):
        ...     scheduler.step(); lrs.append(scheduler.get_last_lr()[0])
        >>> lrs
        [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        if total_iters <= 0:
            raise ValueError(f"LinearLR: total_iters must be positive, got {total_iters}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        progress = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base_lr * factor for base_lr in self.base_lrs]


class InverseTimeDecay(LRScheduler):
    """The classic inverse-time decay::

        lr_t = base_lr / (1 + decay_rate · t / decay_steps)

    With ``staircase=True`` t / decay_steps is rounded down, so the rate drops in steps.

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> opt = minidl.optim.SGD([Parameter(minidl.zeros(1))], lr=1.0)
        >>> scheduler = minidl.optim.lr_scheduler.InverseTimeDecay(opt, decay_rate=1.0, decay_steps=2)
        >>> for _ in range(2): scheduler.step()
        >>> scheduler.get_last_lr()
        [0.5]
    """

    def __init__(self, optimizer, decay_rate, decay_steps, staircase=False, last_epoch=-1):
        if decay_rate < 0:
            raise ValueError(f"InverseTimeDecay: decay_rate must be >= 0, got {decay_rate}")
        if decay_steps <= 0:
            raise ValueError(f"InverseTimeDecay: decay_steps must be positive, got {decay_steps}")
        self.decay_rate, self.decay_steps, self.staircase = decay_rate, decay_steps, staircase
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        progress = self.last_epoch / self.decay_steps
        if self.staircase:
            progress = math.floor(progress)
        return [base_lr / (1 + self.decay_rate * progress) for base_lr in self.base_lrs]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2019, "Super-convergence: very fast training of
    neural networks using large learning rates"), stepped after every batch.

    The rate climbs from initial_lr = max_lr / div_factor to max_lr over the first
    pct_start of the total_steps (= epochs · steps_per_epoch if not given), then anneals to
    min_lr = initial_lr / final_div_factor. With ``three_phase=True`` (the paper's version)
    it goes back down to initial_lr symmetrically before annealing to min_lr. Each phase
    runs from step s₀ to s₁ (phase 1 ends at pct_start · total_steps - 1, the last at
    total_steps - 1) with pct = (t - s₀) / (s₁ - s₀) and::

        'cos':    lr = end + (start - end) · (1 + cos(π · pct)) / 2
        'linear': lr = start + (end - start) · pct

    With ``cycle_momentum`` the momentum (or Adam's beta1) moves the opposite way, between
    max_momentum and base_momentum. Groups get ``initial_lr``, ``max_lr`` and ``min_lr`` keys.

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> opt = minidl.optim.SGD([Parameter(minidl.zeros(1))], lr=0.1, momentum=0.9)
        >>> scheduler = minidl.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
        >>> lrs = [scheduler.get_last_lr()[0]]
        >>> for _ in range(9):
        ...     opt.step(); scheduler.step(); lrs.append(scheduler.get_last_lr()[0])
        >>> [round(lr, 4) for lr in lrs]
        [0.04, 0.52, 1.0, 0.9505, 0.8117, 0.6113, 0.3887, 0.1883, 0.0495, 0.0]
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy='cos', cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or both epochs and steps_per_epoch")
            total_steps = epochs * steps_per_epoch
        if total_steps <= 0 or not isinstance(total_steps, int):
            raise ValueError(f"OneCycleLR: total_steps must be a positive integer, got {total_steps}")
        if not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start}")
        if anneal_strategy not in ('cos', 'linear'):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.total_steps, self.anneal_strategy, self.cycle_momentum = total_steps, anneal_strategy, cycle_momentum
        warmup_end = float(pct_start * total_steps) - 1
        # (last step of the phase, lr from, lr to, momentum from, momentum to)
        if three_phase:
            self._phases = [(warmup_end, 'initial_lr', 'max_lr', 'max_momentum', 'base_momentum'),
                            (2 * warmup_end, 'max_lr', 'initial_lr', 'base_momentum', 'max_momentum'),
                            (total_steps - 1, 'initial_lr', 'min_lr', 'max_momentum', 'max_momentum')]
        else:
            self._phases = [(warmup_end, 'initial_lr', 'max_lr', 'max_momentum', 'base_momentum'),
                            (total_steps - 1, 'max_lr', 'min_lr', 'base_momentum', 'max_momentum')]
        if cycle_momentum and 'momentum' not in optimizer.defaults and 'betas' not in optimizer.defaults:
            raise ValueError(f"OneCycleLR: cycle_momentum=True, but {type(optimizer).__name__} has "
                             "neither momentum nor betas; pass cycle_momentum=False")
        self._use_beta1 = 'betas' in optimizer.defaults
        if last_epoch == -1:
            groups = optimizer.param_groups
            for group, lr, base_m, max_m in zip(groups, _per_group(max_lr, optimizer, 'max_lr'),
                                                _per_group(base_momentum, optimizer, 'base_momentum'),
                                                _per_group(max_momentum, optimizer, 'max_momentum')):
                group['initial_lr'] = lr / div_factor
                group['max_lr'] = lr
                group['min_lr'] = group['initial_lr'] / final_div_factor
                if cycle_momentum:
                    group['base_momentum'], group['max_momentum'] = base_m, max_m
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == 'cos':
            return _cosine(start, end, pct, 1)
        return start + (end - start) * pct

    def _interpolate(self, group):
        """(lr, momentum) of ``group`` at step ``last_epoch``."""
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {step} times, but total_steps={self.total_steps}")
        phase_start = 0
        for i, (phase_end, lr_from, lr_to, momentum_from, momentum_to) in enumerate(self._phases):
            if step <= phase_end or i == len(self._phases) - 1:
                pct = (step - phase_start) / (phase_end - phase_start)
                lr = self._anneal(group[lr_from], group[lr_to], pct)
                momentum = (self._anneal(group[momentum_from], group[momentum_to], pct)
                            if self.cycle_momentum else None)
                return lr, momentum
            phase_start = phase_end

    def get_lr(self):
        return [self._interpolate(group)[0] for group in self.optimizer.param_groups]

    def step(self, epoch=None):
        super().step(epoch)
        if not self.cycle_momentum:
            return
        for group in self.optimizer.param_groups:
            momentum = self._interpolate(group)[1]
            if self._use_beta1:
                group['betas'] = (momentum, *group['betas'][1:])
            else:
                group['momentum'] = momentum


class SequentialLR(LRScheduler):
    """Run schedulers one after another: ``schedulers[i]`` from ``milestones[i-1]`` on.

    At each milestone the next scheduler restarts from its epoch 0; e.g. a linear warm-up
    for 5 epochs, then cosine annealing::

        SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, T_max=95)],
                     milestones=[5])

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> from minidl.optim.lr_scheduler import ExponentialLR, LinearLR, SequentialLR
        >>> opt = minidl.optim.SGD([Parameter(minidl.zeros(1))], lr=1.0)
        >>> warmup = LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> scheduler = SequentialLR(opt, [warmup, ExponentialLR(opt, gamma=0.5)], milestones=[2])
        >>> lrs = [scheduler.get_last_lr()[0]]
        >>> for _ in range(4):
        ...     scheduler.step(); lrs.append(scheduler.get_last_lr()[0])
        >>> lrs
        [0.5, 0.75, 1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        if len(schedulers) < 1:
            raise ValueError("SequentialLR: expected at least one scheduler")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: expected {len(schedulers) - 1} milestones for "
                             f"{len(schedulers)} schedulers, got {len(milestones)}")
        for i, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(f"SequentialLR: scheduler {i} is a ReduceLROnPlateau, whose step needs a "
                                 "metric; it cannot take part in a sequence")
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"SequentialLR: scheduler {i} drives another optimizer")
        self.optimizer, self._schedulers, self._milestones = optimizer, list(schedulers), list(milestones)
        self.last_epoch = last_epoch + 1
        # building each scheduler stepped it to epoch 0; undo, and start only the first one
        for group in optimizer.param_groups:
            group['lr'] = group['initial_lr']
        for scheduler in self._schedulers:
            scheduler.last_epoch -= 1
        self._schedulers[0].step()
        self._last_lr = self._schedulers[0].get_last_lr()

    def step(self, epoch=None):
        self.last_epoch += 1
        index = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler.step(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        state = {key: value for key, value in self.__dict__.items() if key not in ('optimizer', '_schedulers')}
        state['_schedulers'] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        """Restore a state from :meth:`state_dict`, its own and each scheduler's.

        The state must be of a SequentialLR with as many schedulers, each state fitting its
        scheduler; all of that is checked before anything changes (a ValueError says what
        did not fit).
        """
        self._check_state_dict(state_dict)
        for scheduler, saved in zip(self._schedulers, state_dict['_schedulers']):
            scheduler.load_state_dict(saved)
        self.__dict__.update({key: value for key, value in state_dict.items() if key != '_schedulers'})

    def _check_state_dict(self, state_dict):
        super()._check_state_dict(state_dict)
        saved = state_dict['_schedulers']
        if not isinstance(saved, list):
            raise ValueError(f"SequentialLR.load_state_dict: the state's _schedulers is a "
                             f"{type(saved).__name__}, expected a list of scheduler states")
        if len(saved) != len(self._schedulers):
            raise ValueError(f"SequentialLR.load_state_dict: this SequentialLR runs {len(self._schedulers)} "
                             f"schedulers, the state has {len(saved)}")
        for scheduler, part in zip(self._schedulers, saved):
            scheduler._check_state_dict(part)


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rate by ``factor`` when a metric has stopped improving.

    ``step(metric)`` after each validation. A metric is an improvement if it beats the best
    so far by more than ``threshold`` (mode 'min', threshold_mode 'rel': metric <
    best · (1 - threshold); 'abs': metric < best - threshold; mode 'max' the other way).
    After more than ``patience`` epochs without improvement, lr ← max(lr · factor, min_lr)
    (changes smaller than ``eps`` are skipped), then ``cooldown`` epochs pass before bad
    epochs are counted again.

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> opt = minidl.optim.SGD([Parameter(minidl.zeros(1))], lr=1.0)
        >>> scheduler = minidl.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1)
        >>> for val_loss in [3.0, 2.0, 2.0, 2.0]:
        ...     scheduler.step(val_loss)
        >>> scheduler.get_last_lr()
        [0.1]
    """

    def __init__(self, optimizer, mode='min', factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode='rel', cooldown=0, min_lr=0, eps=1e-8):
        # no get_lr() here: the rate changes only in step(metric), so the base __init__ is not used
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ReduceLROnPlateau: expected an Optimizer, got {type(optimizer).__name__}")
        if not 0 <= factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in [0, 1), got {factor}")
        if mode not in ('min', 'max'):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ('rel', 'abs'):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience, self.cooldown, self.eps = mode, factor, patience, cooldown, eps
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.min_lrs = _per_group(min_lr, optimizer, 'min_lr')
        self.best = math.inf if mode == 'min' else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group['lr'] for group in optimizer.param_groups]

    def is_better(self, metric):
        """Whether ``metric`` improves on the best so far by more than the threshold."""
        if self.mode == 'min' and self.threshold_mode == 'rel':
            return metric < self.best * (1 - self.threshold)
        if self.mode == 'min':
            return metric < self.best - self.threshold
        if self.threshold_mode == 'rel':
            return metric > self.best * (1 + self.threshold)
        return metric > self.best + self.threshold

    def step(self, metrics):
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group['lr'] * self.factor, min_lr)
                if group['lr'] - new_lr > self.eps:
                    group['lr'] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group['lr'] for group in self.optimizer.param_groups]
