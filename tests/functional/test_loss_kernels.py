"""cross_entropy's CUDA kernels (``loss_kernels``), run on the CPU: the fixture compiles each
kernel body as C++ (``tests/kernel_host.py``) and hands it to SoftmaxCrossEntropy in place of
CuPy's compiled kernel, so the whole GPU path (allocation, argument order, the kernels, the
reductions, backward, the check of the targets) runs on NumPy arrays and is compared with the
array path. On a GPU the loss tests run the kernels themselves through CuPy. Also here: the
deferred checks (``backend.check_later``) that the GPU path relies on.
"""
import numpy
import pytest

import minidl
import minidl.nn.functional as F
from minidl import backend
from minidl.functional import loss, loss_kernels
from tests.kernel_host import COMPILER, host_kernel

needs_compiler = pytest.mark.skipif(COMPILER is None, reason="no C++ compiler to build the kernels for the host")


@pytest.fixture
def kernels_on_host(monkeypatch, tmp_path):
    """cross_entropy on NumPy takes the kernels' path, with the kernels compiled for the host."""
    def compiled(name, source):
        def run(*args):
            dtype = next(a.dtype for a in args if hasattr(a, 'dtype') and a.dtype.kind == 'f')
            host_kernel(source, dtype, tmp_path)(*args)
        return run
    monkeypatch.setattr(loss_kernels, 'kernel', compiled)
    monkeypatch.setitem(loss.CROSS_ENTROPY_KERNEL, 'numpy', True)


def _loss_and_grad(x_np, target, **kwargs):
    x = minidl.tensor(x_np, requires_grad=True, device='cpu')
    value = F.cross_entropy(x, minidl.tensor(target, device='cpu'), **kwargs)
    value.backward(minidl.ones_like(value))
    return value.numpy(), x.grad.numpy()


def _array_path(x_np, target, **kwargs):
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(loss.CROSS_ENTROPY_KERNEL, 'numpy', False)
        return _loss_and_grad(x_np, target, **kwargs)


@needs_compiler
@pytest.mark.parametrize('reduction', ['mean', 'sum', 'none'])
@pytest.mark.parametrize('dtype', [numpy.float32, numpy.float64])
def test_kernels_match_the_array_path(kernels_on_host, reduction, dtype):
    """Loss and gradient, for logits laid out either way and rows of huge and -inf logits;
    a row with a NaN gives NaN in both (its loss, its gradient, and so the mean's)."""
    rng = numpy.random.default_rng(0)
    x_np = rng.normal(size=(7, 5)).astype(dtype)
    x_np[2] = [1e4, -1e4, 0.0, 3.0, -2.0]
    x_np[4, 1:] = -numpy.inf
    target = rng.integers(0, 5, 7)
    target[4] = 0
    with_nan = x_np.copy()
    with_nan[5, 3] = numpy.nan
    for layout in (x_np, numpy.asfortranarray(x_np), with_nan):
        got = _loss_and_grad(layout, target, reduction=reduction)
        assert numpy.all(numpy.isfinite(got[0])) == numpy.all(numpy.isfinite(got[1])) == (layout is not with_nan)
        for g, w in zip(got, _array_path(layout, target, reduction=reduction)):
            numpy.testing.assert_allclose(g, w, rtol=1e-5 if dtype == numpy.float32 else 1e-12, atol=1e-7)


@needs_compiler
@pytest.mark.parametrize('reduction', ['mean', 'sum', 'none'])
@pytest.mark.parametrize('ignore_index', [-100, 1])
def test_kernels_leave_out_ignored_rows(kernels_on_host, reduction, ignore_index):
    """As nll_loss(log_softmax(x)) (the array path for ignored rows): ignored rows count 0,
    get no gradient, and are left out of the mean; ignore_index may be a class."""
    rng = numpy.random.default_rng(1)
    x_np = rng.normal(size=(6, 4))
    target = numpy.array([0, ignore_index, 3, 2, ignore_index, 1])
    got = _loss_and_grad(x_np, target, reduction=reduction, ignore_index=ignore_index)
    want = _array_path(x_np, target, reduction=reduction, ignore_index=ignore_index)
    for g, w in zip(got, want):
        numpy.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-15)
    assert not got[1][target == ignore_index].any()


@needs_compiler
def test_kernels_report_a_target_outside_the_classes(kernels_on_host):
    x = minidl.randn(4, 3, device='cpu')
    with pytest.raises(IndexError, match=r"cross_entropy: target holds class 5, outside \[0, 3\)"):
        F.cross_entropy(x, minidl.tensor([0, -100, 5, 1], device='cpu')).item()
    with pytest.raises(IndexError, match=r"target holds class 0, outside \[0, 0\)"):
        F.cross_entropy(minidl.zeros(2, 0, device='cpu'), minidl.tensor([0, 0], device='cpu')).item()
    assert not backend._pending_checks


@needs_compiler
def test_kernels_report_a_bad_target_late_as_on_a_gpu(kernels_on_host, monkeypatch):
    """The check deferred as check_later defers it on a GPU: no error from the loss itself,
    the IndexError at the end of backward (after the node that made the check was freed),
    before the logits' .grad changes; or at the read back of the loss."""
    def check_later_as_on_a_gpu(flag, error):
        backend._pending_checks.append((numpy.asarray(flag), lambda: None, error))
    monkeypatch.setattr(loss, 'check_later', check_later_as_on_a_gpu)
    x = minidl.randn(4, 3, device='cpu', requires_grad=True)
    bad = minidl.tensor([0, -100, 7, 1], device='cpu')
    value = F.cross_entropy(x, bad)
    assert len(backend._pending_checks) == 1
    with pytest.raises(IndexError, match=r"cross_entropy: target holds class 7, outside \[0, 3\) for input "
                                         r"of shape \(4, 3\)"):
        value.backward()
    assert x.grad is None and not backend._pending_checks
    with pytest.raises(IndexError, match="class 7"):
        F.cross_entropy(x, bad, reduction='none').tolist()
    F.cross_entropy(x, minidl.tensor([0, -100, 2, 1], device='cpu')).backward()
    assert x.grad is not None and not backend._pending_checks


@needs_compiler
@pytest.mark.parametrize('reduction', ['mean', 'none'])
def test_kernel_path_passes_gradient_checks(kernels_on_host, reduction):
    """float64, first and second derivatives (create_graph), with an ignored row."""
    rng = numpy.random.default_rng(2)
    x = minidl.tensor(rng.normal(size=(5, 4)), requires_grad=True, device='cpu')
    target = minidl.tensor([3, -100, 0, 2, 1], device='cpu')

    def fn(logits):
        return F.cross_entropy(logits, target, reduction=reduction)
    assert type(fn(x).grad_fn).__name__ == 'SoftmaxCrossEntropy'
    assert minidl.gradcheck(fn, [x])
    assert minidl.gradgradcheck(fn, [x])


# ----------------------------------------------------------------------------- deferred checks
class Failed(Exception):
    pass


@pytest.fixture
def failed_check():
    """A deferred check whose flag came back true, as check_later leaves one on a GPU."""
    backend._pending_checks.append((numpy.array(True), lambda: None, lambda: Failed('the check failed')))
    yield
    backend._pending_checks.clear()


@pytest.mark.parametrize('read', [lambda t: t.item(), lambda t: t.numpy(), lambda t: t.tolist(), repr, float,
                                  lambda t: backend.to_numpy(t.data)],
                         ids=['item', 'numpy', 'tolist', 'repr', 'float', 'to_numpy'])
def test_a_failed_deferred_check_is_raised_at_the_next_read_back(failed_check, read):
    t = minidl.tensor([2.5])
    with pytest.raises(Failed):
        read(t)
    assert not backend._pending_checks
    assert read(t) is not None                  # raised once, then gone


def test_a_failed_deferred_check_is_raised_by_backward_before_any_grad_changes(failed_check):
    w = minidl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(Failed):
        (w * w).sum().backward()
    assert w.grad is None
    (w * w).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]


def test_deferred_checks_that_pass_raise_nothing():
    waited = []
    backend._pending_checks.append((numpy.array(False), lambda: waited.append(1), lambda: Failed()))
    assert minidl.tensor([1.0]).item() == 1.0
    assert waited == [1] and not backend._pending_checks


def test_check_later_checks_at_once_on_the_cpu():
    with pytest.raises(Failed):
        backend.check_later(numpy.array(True), lambda: Failed())
    backend.check_later(numpy.array(False), lambda: Failed())
    assert not backend._pending_checks
