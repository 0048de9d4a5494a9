import numpy
import pytest

import minidl
from tests.gradcases import Case, check, t

CASES = [
    Case('2-D', lambda a, b: a @ b, lambda: [t(3, 4), t(4, 2)]),
    Case('vector-matrix', lambda a, b: a @ b, lambda: [t(4), t(4, 2)]),
    Case('matrix-vector', lambda a, b: a @ b, lambda: [t(3, 4), t(4)]),
    Case('vector-vector', lambda a, b: a @ b, lambda: [t(4), t(4, seed=1)]),
    Case('batch broadcast', lambda a, b: a @ b, lambda: [t(2, 1, 3, 4), t(3, 4, 2)]),
    Case('batch-vector', lambda a, b: minidl.matmul(a, b), lambda: [t(2, 3, 4), t(4)]),
]


@pytest.mark.parametrize('case', CASES, ids=repr)
def test_gradients(case):
    check(case)


@pytest.mark.parametrize('shapes', [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
                                    ((2, 1, 3, 4), (3, 4, 2)), ((5, 3, 4), (4,))])
def test_forward_matches_numpy(shapes):
    rng = numpy.random.default_rng(0)
    a, b = (rng.normal(size=s).astype(numpy.float32) for s in shapes)
    numpy.testing.assert_allclose((minidl.tensor(a) @ minidl.tensor(b)).numpy(), a @ b, rtol=1e-5)


def test_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r'matmul: shapes \(2, 3\) and \(4, 5\) do not fit: the inner '
                                         r'dimensions 3 and 4 differ'):
        minidl.ones(2, 3) @ minidl.ones(4, 5)
