"""Search spaces: what a hyperparameter may be, and how it maps to the unit cube.

A *space* is a dict from parameter name to a distribution (``Choice``, ``Uniform``,
``LogUniform``, ``IntUniform``) or to a plain constant, which every trial receives as is::

    space = {'lr': LogUniform(1e-4, 1e-1), 'dropout': Uniform(0.0, 0.5),
             'batch_size': Choice([32, 64, 128]), 'epochs': 10}

Each distribution knows four things:

- ``sample(rng)``: a random value (random search, Bergstra & Bengio 2012, and the initial
  design of Bayesian optimization);
- ``grid_values()``: the values grid search tries (continuous ranges need ``grid=n``);
- ``encode(value)`` -> a few numbers in [0, 1], and ``decode(u)`` back: the *warping* the
  Gaussian process works in. ``Uniform`` is scaled linearly, ``LogUniform`` is scaled in
  log space (so 1e-4..1e-3 is as wide as 1e-2..1e-1), ``IntUniform`` is scaled linearly and
  rounded on decoding, and ``Choice`` is one-hot (one coordinate per value; decoding takes
  the largest), so no false order is imposed on categories;
- ``parse(text)``: the value back from its text in a CSV file (for resuming a search).

Randomness always comes from a ``numpy.random.Generator`` passed in, never global state.

Example::

    >>> import numpy as np
    >>> space = Space({'lr': LogUniform(1e-3, 1e-1), 'act': Choice(['relu', 'tanh']), 'seed': 0})
    >>> space.encode({'lr': 1e-2, 'act': 'tanh', 'seed': 0})
    array([0.5, 0. , 1. ])
    >>> space.decode(np.array([0.5, 0.9, 0.1]))
    {'lr': 0.01, 'act': 'relu', 'seed': 0}
"""
import itertools
import math

import numpy as np


class Distribution:
    """Base class of the search-space distributions; ``width`` is the number of unit-cube
    coordinates the value occupies."""
    width = 1

    def grid_values(self):
        """The values grid search tries for this parameter."""
        if self.grid is None:
            raise ValueError(f"{self!r} is a continuous range: give it an explicit grid count, "
                             f"e.g. {type(self).__name__}({self.low!r}, {self.high!r}, grid=5)")
        return [self.decode(np.array([u])) for u in np.linspace(0.0, 1.0, self.grid)]

    def parse(self, text):
        return float(text)


def _check_range(cls, low, high, grid):
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise ValueError(f"{cls}: need finite low < high, got low={low!r}, high={high!r}")
    if grid is not None and (int(grid) != grid or grid < 2):
        raise ValueError(f"{cls}: grid must be an integer >= 2 (got {grid!r})")


class Uniform(Distribution):
    """A real value uniform on [low, high]; warped linearly: u = (x - low) / (high - low).

    >>> Uniform(0.0, 1.0, grid=3).grid_values()
    [0.0, 0.5, 1.0]
    """

    def __init__(self, low, high, grid=None):
        _check_range('Uniform', low, high, grid)
        self.low, self.high, self.grid = float(low), float(high), grid

    def __repr__(self):
        return f"Uniform({self.low!r}, {self.high!r})"

    def sample(self, rng):
        return float(rng.uniform(self.low, self.high))

    def encode(self, value):
        return [(value - self.low) / (self.high - self.low)]

    def decode(self, u):
        return float(self.low + np.clip(u[0], 0.0, 1.0) * (self.high - self.low))


class LogUniform(Distribution):
    """A positive real value whose logarithm is uniform on [log low, log high]; warped in log
    space: u = (log x - log low) / (log high - log low). For learning rates, weight decays.

    >>> [round(v, 12) for v in LogUniform(1e-3, 1e-1, grid=3).grid_values()]
    [0.001, 0.01, 0.1]
    """

    def __init__(self, low, high, grid=None):
        if low <= 0:
            raise ValueError(f"LogUniform: low must be > 0 (got {low!r}); use Uniform for ranges "
                             "that include zero")
        _check_range('LogUniform', low, high, grid)
        self.low, self.high, self.grid = float(low), float(high), grid

    def __repr__(self):
        return f"LogUniform({self.low!r}, {self.high!r})"

    def sample(self, rng):
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def encode(self, value):
        return [math.log(value / self.low) / math.log(self.high / self.low)]

    def decode(self, u):
        return float(self.low * (self.high / self.low) ** np.clip(u[0], 0.0, 1.0))


class IntUniform(Distribution):
    """An integer uniform on {low, ..., high} (both ends included); warped linearly and
    rounded on the way back. Its grid is every integer unless ``grid=n`` asks for n of them.

    >>> IntUniform(1, 4).grid_values()
    [1, 2, 3, 4]
    """

    def __init__(self, low, high, grid=None):
        if int(low) != low or int(high) != high:
            raise ValueError(f"IntUniform: low and high must be integers, got {low!r}, {high!r}")
        _check_range('IntUniform', low, high, grid)
        self.low, self.high = int(low), int(high)
        self.grid = grid if grid is not None else self.high - self.low + 1

    def __repr__(self):
        return f"IntUniform({self.low!r}, {self.high!r})"

    def sample(self, rng):
        return int(rng.integers(self.low, self.high + 1))

    def encode(self, value):
        return [(value - self.low) / (self.high - self.low)]

    def decode(self, u):
        return int(round(self.low + np.clip(u[0], 0.0, 1.0) * (self.high - self.low)))

    def grid_values(self):
        return sorted(set(super().grid_values()))

    def parse(self, text):
        return int(float(text))


class Choice(Distribution):
    """One of a list of values (numbers, strings, anything), each equally likely; warped
    one-hot, so the GP sees k coordinates and decoding picks the largest.

    >>> Choice(['sgd', 'adam']).encode('adam')
    [0.0, 1.0]
    """

    def __init__(self, values):
        self.values = list(values)
        if not self.values:
            raise ValueError("Choice: needs at least one value")
        self.width = len(self.values)
        self.grid = len(self.values)

    def __repr__(self):
        return f"Choice({self.values!r})"

    def sample(self, rng):
        return self.values[int(rng.integers(len(self.values)))]

    def encode(self, value):
        onehot = [0.0] * len(self.values)
        onehot[self.values.index(value)] = 1.0
        return onehot

    def decode(self, u):
        return self.values[int(np.argmax(u))]

    def grid_values(self):
        return list(self.values)

    def parse(self, text):
        for value in self.values:
            if cell_text(value) == text:
                return value
        raise ValueError(f"{self!r}: {text!r} is not one of its values")


def cell_text(value):
    """How a parameter's value is written in a results CSV (and recognised when read back):
    a float (a NumPy one too) as the shortest text that reads back exactly, anything else
    (None, True, 'adam', 3) as ``str``."""
    return repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)


class Space:
    """A validated search space: names in a fixed order, distributions and constants.

    ``dim`` is the number of unit-cube coordinates (a ``Choice`` of k values takes k).
    Accepts a dict, or another ``Space``.

    >>> Space({'a': IntUniform(0, 1), 'b': Choice('xy')}).grid()
    [{'a': 0, 'b': 'x'}, {'a': 0, 'b': 'y'}, {'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'}]
    """

    def __init__(self, space):
        if isinstance(space, Space):
            space = space.params
        if not isinstance(space, dict) or not space:
            raise ValueError("the search space is empty: give a dict such as "
                             "{'lr': LogUniform(1e-4, 1e-1)}")
        self.params = dict(space)
        self.names = list(self.params)
        self.distributions = {k: v for k, v in self.params.items() if isinstance(v, Distribution)}
        self.dim = sum(d.width for d in self.distributions.values())

    def __repr__(self):
        return f"Space({self.params!r})"

    def sample(self, rng):
        """One random configuration (a dict), drawn with the generator ``rng``."""
        return {k: v.sample(rng) if isinstance(v, Distribution) else v
                for k, v in self.params.items()}

    def grid(self):
        """Every configuration of the grid: the Cartesian product in the order of the dict."""
        axes = [v.grid_values() if isinstance(v, Distribution) else [v]
                for v in self.params.values()]
        return [dict(zip(self.names, combo)) for combo in itertools.product(*axes)]

    def encode(self, params):
        """A configuration -> a point of the unit cube, shape (dim,)."""
        u = []
        for name, dist in self.distributions.items():
            u.extend(dist.encode(params[name]))
        return np.array(u, dtype=float)

    def decode(self, u):
        """A point of the unit cube (values outside [0, 1] are clipped) -> a configuration."""
        params, start = {}, 0
        for name in self.names:
            dist = self.params[name]
            if isinstance(dist, Distribution):
                params[name] = dist.decode(u[start:start + dist.width])
                start += dist.width
            else:
                params[name] = dist
        return params

    def snap(self, U):
        """Round each row of ``U`` to the nearest point that a configuration encodes to
        (integers rounded, one-hots made one-hot, values clipped to [0, 1])."""
        return np.array([self.encode(self.decode(u)) for u in U]).reshape(len(U), self.dim)

    def parse(self, name, text):
        """The value of parameter ``name`` from its text in a CSV cell."""
        dist = self.params[name]
        return dist.parse(text) if isinstance(dist, Distribution) else dist
