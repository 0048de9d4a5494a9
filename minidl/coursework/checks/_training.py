"""Short training runs for the checks: a data set, a loop, and the accuracy goal."""
import numpy

from ... import functional as F
from ...autograd import no_grad
from ...autograd.tensor import Tensor
from ...data.datasets import load_digits
from ...nn import Parameter
from ...optim import Adam
from ..grader import Failed, as_numpy


def digits(flat=True):
    """(x_train, y_train, x_test, y_test): 1,400 and 397 of the 8x8 digits, float64."""
    x, y = load_digits()
    order = numpy.random.default_rng(0).permutation(len(x))
    x, y = x[order].astype(numpy.float64), y[order]
    x = x.reshape(len(x), -1) if flat else x
    return x[:1400], y[:1400], x[1400:], y[1400:]


def weight(rng, *shape):
    """A He-initialized float64 Parameter (a zero vector for one dimension: a bias)."""
    if len(shape) == 1:
        return Parameter(Tensor(numpy.zeros(shape)))
    return Parameter(Tensor(rng.standard_normal(shape) * numpy.sqrt(2.0 / numpy.prod(shape[1:]))))


def fit(forward, params, x, y, steps, lr=1e-2, batch_size=64, optimizer=Adam, loss=F.cross_entropy):
    """``steps`` minibatch steps of ``optimizer`` on loss(forward(x), y)."""
    opt = optimizer(params, lr=lr)
    rng = numpy.random.default_rng(0)
    for _ in range(steps):
        batch = rng.choice(len(x), batch_size, replace=False)
        opt.zero_grad()
        loss(forward(Tensor(x[batch])), Tensor(y[batch])).backward()
        opt.step()


def require_accuracy(forward, x, y, goal, what):
    """Fail unless argmax(forward(x)) matches y on at least ``goal`` of the samples."""
    with no_grad():
        scores = as_numpy(forward(Tensor(x)))
    predicted = scores.argmax(axis=1) if scores.ndim == 2 else (scores > 0).astype(y.dtype)
    accuracy = float((predicted == y).mean())
    if not accuracy >= goal:
        raise Failed(f"{what}: test accuracy {accuracy:.1%}, needs {goal:.0%}",
                     "the reference checks above point to the part to fix first")

