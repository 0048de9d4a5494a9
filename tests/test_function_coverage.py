"""Every Function subclass in minidl must be gradient-checked by some test case.

Each test module lists its gradient-check cases in ``CASES`` (see ``tests/gradcases.py``);
this test builds the graph of every case and collects the Function classes in it.
"""
import importlib
import pkgutil

import minidl
import tests
from minidl.autograd import Function
from tests.gradcases import function_types


def _all_subclasses(cls):
    found, stack = set(), [cls]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return found


def _import_all(package):
    modules = []
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):
        if not info.name.endswith('__main__'):          # running it would start the CLI
            modules.append(importlib.import_module(info.name))
    return modules


def test_every_function_subclass_has_a_gradient_check():
    _import_all(minidl)
    functions = {cls for cls in _all_subclasses(Function)
                 if cls.__module__.startswith('minidl.') and not cls.__name__.startswith('_')}
    checked = set()
    for module in _import_all(tests):
        for case in getattr(module, 'CASES', []):
            checked |= function_types(case)
    missing = sorted(f"{cls.__module__}.{cls.__name__}" for cls in functions - checked)
    assert not missing, f"Function subclasses without a gradient-check case: {missing}"
    assert len(functions) >= 30
