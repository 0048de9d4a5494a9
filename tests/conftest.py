"""Test configuration: the device under test comes from MINIDL_DEVICE (default cpu).

``MINIDL_DEVICE=cuda pytest`` runs the same tests on CuPy; without CuPy or a GPU they are
skipped with a message instead of failing.
"""
import os

import numpy
import pytest

import minidl
from minidl import backend

DEVICE = os.environ.get('MINIDL_DEVICE', 'cpu').strip().lower() or 'cpu'
if DEVICE == 'cuda' and not backend.cuda_is_available():
    minidl.set_device('cpu')        # so that test modules can build their objects on import; all skip


def pytest_collection_modifyitems(config, items):
    if DEVICE == 'cuda' and not backend.cuda_is_available():
        skip = pytest.mark.skip(reason="MINIDL_DEVICE=cuda but CuPy or a GPU is not available")
        for item in items:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seed_and_device():
    """Every test starts on the device under test with minidl's generator seeded."""
    if DEVICE == 'cuda' and not backend.cuda_is_available():
        yield
        return
    minidl.set_device(DEVICE)
    minidl.manual_seed(1234)
    yield
    minidl.set_default_dtype(numpy.float32)
    backend._pending_checks.clear()         # a check a GPU op deferred belongs to its own test
