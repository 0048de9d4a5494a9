"""Trials and the result of a search: the table, the best trial, CSV files and plots.

A ``Trial`` is one evaluation of the objective: its ``number`` (the order it was proposed
in), ``params``, ``value``, ``seconds``, ``status`` ('ok' or 'failed') and ``error`` (the
exception's type and message, or why the value was rejected, e.g. NaN).

The CSV layout, one row per trial, written as each trial ends so that nothing is lost::

    trial,status,value,seconds,error,<one column per parameter>

Floats are written with ``repr`` so that they read back exactly; ``read_trials`` parses the
parameter columns back through the search space (``Space.parse``).

    >>> from minidl.tuning.space import Space, Uniform
    >>> space = Space({'x': Uniform(-1.0, 1.0)})
    >>> result = SearchResult([Trial(0, {'x': 0.5}, 0.25, 0.01, 'ok'),
    ...                        Trial(1, {'x': 0.0}, float('nan'), 0.0, 'failed', 'ValueError: bad')],
    ...                       space, 'minimize')
    >>> result.best_params, result.best_value, result.n_failed
    ({'x': 0.5}, 0.25, 1)
"""
import csv
import dataclasses
import math
import os

import numpy as np

from .space import Choice, LogUniform, cell_text

FIELDS = ['trial', 'status', 'value', 'seconds', 'error']


@dataclasses.dataclass
class Trial:
    """One evaluation of the objective."""
    number: int
    params: dict
    value: float
    seconds: float
    status: str = 'ok'
    error: str = ''

    @property
    def ok(self):
        return self.status == 'ok'


def write_header_if_new(path, space):
    """Create the CSV at ``path`` with its header row, unless it already has content."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        with open(path, 'w', newline='') as f:
            csv.writer(f).writerow(FIELDS + space.names)


def append_trial(path, trial, space):
    """Append one trial as a row of the CSV at ``path`` and flush it to disk."""
    with open(path, 'a', newline='') as f:
        csv.writer(f).writerow([trial.number, trial.status, repr(float(trial.value)),
                                repr(float(trial.seconds)), trial.error]
                               + [cell_text(trial.params[k]) for k in space.names])
        f.flush()
        os.fsync(f.fileno())


def read_trials(path, space):
    """The trials recorded in the CSV at ``path`` (an empty list if there is none)."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return []
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        rows, header = list(reader), reader.fieldnames
    if set(header) != set(FIELDS + space.names):
        raise ValueError(f"{path}: its columns {header} do not match the search space "
                         f"{space.names}; use another CSV file for a different search")
    return [Trial(int(r['trial']), {k: space.parse(k, r[k]) for k in space.names},
                  float(r['value']), float(r['seconds']), r['status'], r['error'])
            for r in rows]


class SearchResult:
    """What a search returns: ``trials`` (sorted by number), ``best_params``,
    ``best_value``, ``best_trial``, and ``interrupted`` (True if Ctrl-C stopped it).

    ``best_*`` are None (``best_value``: nan) while no trial has succeeded.
    """

    def __init__(self, trials, space, direction, interrupted=False):
        self.trials = sorted(trials, key=lambda t: t.number)
        self.space, self.direction, self.interrupted = space, direction, interrupted

    def __len__(self):
        return len(self.trials)

    def __repr__(self):
        return (f"SearchResult({len(self.trials)} trials, {self.n_failed} failed, "
                f"best_value={self.best_value!r}, best_params={self.best_params!r})")

    @property
    def n_failed(self):
        return sum(not t.ok for t in self.trials)

    @property
    def best_trial(self):
        ok = [t for t in self.trials if t.ok]
        if not ok:
            return None
        pick = min if self.direction == 'minimize' else max
        return pick(ok, key=lambda t: t.value)

    @property
    def best_params(self):
        return None if self.best_trial is None else self.best_trial.params

    @property
    def best_value(self):
        return math.nan if self.best_trial is None else self.best_trial.value

    def table(self):
        """The trials as a list of flat dicts (one per trial; parameters as columns)."""
        return [{'trial': t.number, 'status': t.status, 'value': t.value,
                 'seconds': t.seconds, 'error': t.error, **t.params} for t in self.trials]

    def best_so_far(self):
        """The best value among the first i+1 trials, for each i (nan before any success)."""
        values = np.array([t.value if t.ok else np.nan for t in self.trials], dtype=float)
        sign = 1.0 if self.direction == 'minimize' else -1.0
        filled = np.where(np.isnan(values), np.inf, sign * values)
        best = np.minimum.accumulate(filled) if len(filled) else filled
        return np.where(np.isinf(best), np.nan, sign * best)

    def to_csv(self, path):
        """Write the whole table to ``path`` (same layout as the search's running log)."""
        if os.path.exists(path):
            os.remove(path)
        write_header_if_new(path, self.space)
        for trial in self.trials:
            append_trial(path, trial, self.space)

    def plot_best_so_far(self):
        """A matplotlib Figure of the best value so far against the trial number."""
        from matplotlib.figure import Figure
        fig = Figure(figsize=(5, 3.5))
        ax = fig.add_subplot()
        x = [t.number for t in self.trials]
        ok = [t for t in self.trials if t.ok]
        ax.plot([t.number for t in ok], [t.value for t in ok], 'o', alpha=0.4, label='trial')
        ax.step(x, self.best_so_far(), where='post', label='best so far')
        ax.set_xlabel('trial')
        ax.set_ylabel('value')
        ax.set_title(f"best so far ({self.direction})")
        ax.legend()
        fig.tight_layout()
        return fig

    def plot_parameters(self):
        """A matplotlib Figure with one panel per searched parameter: value against it
        (log axis for LogUniform, categories for Choice)."""
        from matplotlib.figure import Figure
        names = list(self.space.distributions)
        fig = Figure(figsize=(4 * max(len(names), 1), 3.5))
        ok = [t for t in self.trials if t.ok]
        for i, name in enumerate(names):
            ax = fig.add_subplot(1, len(names), i + 1)
            dist = self.space.distributions[name]
            xs = [t.params[name] for t in ok]
            if isinstance(dist, Choice):     # categories at positions 0..k-1
                ax.set_xticks(range(len(dist.values)), [str(v) for v in dist.values])
                xs = [dist.values.index(x) for x in xs]
            elif isinstance(dist, LogUniform):
                ax.set_xscale('log')
            ax.plot(xs, [t.value for t in ok], 'o', alpha=0.6)
            ax.set_xlabel(name)
            ax.set_ylabel('value')
        fig.tight_layout()
        return fig

