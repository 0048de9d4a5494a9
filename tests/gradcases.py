"""Gradient-check cases as data, and the check every op must pass.

A test module lists its cases in ``CASES``; ``test_function_coverage.py`` builds each case's
graph and fails if some Function subclass of minidl appears in no case.
"""
import dataclasses
from typing import Callable

import numpy

import minidl
from minidl.autograd import Function
from minidl.autograd.gradcheck import _upcast_to_float64

# the bar from the foundation issue: float64 relative error < 1e-6
ATOL, RTOL = 1e-8, 1e-6

#: The sweeps of ``conv.WINDOW_SWEEP`` that the device under test runs: the two array forms
#: on any device, and the CUDA kernels where the tests run on CuPy.
WINDOW_SWEEPS = ['slices', 'view'] + (['kernel'] if minidl.backend.xp_for().__name__ == 'cupy' else [])


@dataclasses.dataclass
class Case:
    name: str
    fn: Callable
    make_inputs: Callable          # () -> list of inputs (fresh float64 tensors)
    second_order: bool = True      # also run gradgradcheck

    def __repr__(self):
        return self.name


def t(*shape, low=-2.0, high=2.0, away_from=None, seed=0, requires_grad=True):
    """A float64 tensor of random values in [low, high).

    With ``away_from=a`` the values are a ± U[0.2, 2): at least 0.2 from a kink at a.
    """
    rng = numpy.random.default_rng(seed + 7 * len(shape) + sum(shape))
    if away_from is None:
        x = rng.uniform(low, high, size=shape)
    else:
        x = away_from + rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.2, 2.0, size=shape)
    return minidl.tensor(x, dtype=numpy.float64, requires_grad=requires_grad)


def check(case):
    """gradcheck (every element) and, unless opted out, gradgradcheck of one case."""
    assert minidl.gradcheck(case.fn, case.make_inputs(), atol=ATOL, rtol=RTOL, full=True)
    if case.second_order:
        assert minidl.gradgradcheck(case.fn, case.make_inputs(), atol=ATOL, rtol=RTOL, full=True)


def function_types(case):
    """The Function classes in the graph that ``case`` builds (forward only), on inputs
    upcast to float64 as gradcheck upcasts them (a module's float32 weights among them)."""
    inputs = case.make_inputs()
    with _upcast_to_float64(inputs):
        result = case.fn(*inputs)
    outputs = result if isinstance(result, (tuple, list)) else (result,)
    seen, types = set(), set()
    stack = [y.grad_fn for y in outputs if getattr(y, 'grad_fn', None) is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        types.add(type(node))
        stack.extend(edge[0] for edge in node._edges
                     if edge is not None and isinstance(edge[0], Function))
    return types
