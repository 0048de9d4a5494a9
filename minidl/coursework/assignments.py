"""The assignments: what each one asks, where its code lives in minidl, how it is graded.

Example:
    >>> from minidl.coursework.assignments import ASSIGNMENTS, starter
    >>> [a.id for a in ASSIGNMENTS.values()]
    ['A1', 'A2', 'A3', 'A4', 'A5', 'A6']
    >>> text = starter('A2')
    >>> compile(text, 'a2.py', 'exec') is not None and 'ReLU.backward: not implemented yet' in text
    True
"""
import collections
import importlib
import textwrap

from .generator import render

Assignment = collections.namedtuple('Assignment', 'id title task sources')

ASSIGNMENTS = {a.id: a for a in [
    Assignment('A1', 'Elementwise ops and broadcasting in backward',
               "Write sum_to_shape (the backward of broadcasting) and the backward passes of Mul and "
               "Div. Graded: gradient checks with broadcast operands, comparison with minidl on several "
               "shapes, and logistic regression built on your Mul reaching 95% on two blobs.",
               [('minidl.functional.reduction', ['sum_to_shape']),
                ('minidl.functional.arithmetic', ['Mul', 'Div'])]),
    Assignment('A2', 'Linear, ReLU and softmax cross-entropy',
               "Write the backward passes of the matrix product (the Linear layer y = x Wᵀ + b is built "
               "on it), of ReLU (and the mask its forward keeps for it) and of log_softmax (cross-entropy "
               "is nll_loss(log_softmax(x))). Graded: gradient checks, comparison with minidl (a batch "
               "of one, batched and 1-D operands), and an MLP on your three ops reaching 90% test "
               "accuracy on the 8x8 digits.",
               [('minidl.functional.matmul', ['MatMul']),
                ('minidl.functional.activation', ['ReLU', 'LogSoftmax'])]),
    Assignment('A3', 'Conv2d and MaxPool2d with im2col',
               "Write im2col and col2im (its adjoint), the convolution as im2col + one matrix product "
               "(forward, and backward: the gradients of the product, the bias and, through col2im, the "
               "input), and max pooling: the window maximum and its argmax (the switches) in forward, the "
               "scatter of the gradient to it in backward. Graded: gradient "
               "checks, comparison with minidl (stride, padding, dilation, overlapping windows, ties), "
               "and a small CNN on your ops reaching 85% on the 8x8 digits.",
               [('minidl.functional.conv', ['Im2Col', 'Col2Im', 'Convolution', 'conv2d']),
                ('minidl.functional.pooling', ['WindowScatter', 'MaxPool2d'])]),
    Assignment('A4', 'BatchNorm, LayerNorm and Dropout',
               "Write the backward of standardization x̂ = (x - μ) / √(σ² + ε) shared by batch and layer "
               "normalization, which axes each one normalizes over, and inverted dropout. Graded: "
               "gradient checks, comparison with minidl (2-D and 4-D inputs, a batch of one for "
               "LayerNorm), dropout statistics, and an MLP with your BatchNorm and Dropout reaching 90% "
               "on the 8x8 digits.",
               [('minidl.functional.normalization', ['_Standardize', 'BatchNorm', 'LayerNorm']),
                ('minidl.functional.dropout', ['Dropout'])]),
    Assignment('A5', 'SGD with momentum, RMSprop and Adam',
               "Write the update rules of SGD (momentum, dampening, Nesterov), RMSprop (centered, "
               "momentum) and Adam (moment estimates, bias correction, AMSGrad). Graded: 25 steps of "
               "each against minidl on random gradients for several settings, and your Adam training "
               "an MLP to 90% on the 8x8 digits.",
               [('minidl.optim.sgd', ['SGD']), ('minidl.optim.rmsprop', ['RMSprop']),
                ('minidl.optim.adam', ['update_moments', 'Adam'])]),
    Assignment('A6', 'An affine-warp augmentation',
               "Write the inverse of an affine map about the image centre and the warp that samples "
               "each output pixel at its inverse-mapped point with bilinear interpolation. Graded: "
               "comparison with minidl (identity, 90-degree turns, shifts, random warps, non-square "
               "images), and an MLP trained on digits augmented by your warp reaching 85%.",
               [('minidl.data.transforms.warp', ['warp_affine', 'affine_inverse'])]),
]}


def get(assignment_id):
    """The assignment of an id like 'A2' or 'a2'; a KeyError lists the valid ids."""
    key = str(assignment_id).upper()
    if key not in ASSIGNMENTS:
        raise KeyError(f"no assignment {assignment_id!r}; choose one of {', '.join(ASSIGNMENTS)}")
    return ASSIGNMENTS[key]


def filename(assignment_id):
    return f"{get(assignment_id).id.lower()}.py"


def _header(assignment, keep_solutions):
    kind = 'reference solution' if keep_solutions else 'starter file'
    task = '\n'.join(textwrap.wrap(assignment.task, 92))
    return (f"{assignment.id}: {assignment.title} (minidl coursework, {kind}).\n\n{task}\n\n"
            f"Replace each `raise NotImplementedError(...)` with your code; the docstrings give the\n"
            f"math. Everything else comes from the installed minidl; the imports below are those\n"
            f"of the given code and the tools it takes from other modules. Grade your work with\n\n"
            f"    minidl assignment check {filename(assignment.id)}\n\n"
            f"Generated from minidl's own source by `minidl assignment start {assignment.id}`.")


def starter(assignment_id, keep_solutions=False):
    """The text of the assignment's starter file (or, with ``keep_solutions``, its solution)."""
    assignment = get(assignment_id)
    return render(_header(assignment, keep_solutions), assignment.sources, keep_solutions,
                  preamble=f"ASSIGNMENT = {assignment.id!r}\n")


def checks(assignment_id):
    """The assignment's :class:`~minidl.coursework.grader.Checklist`."""
    assignment = get(assignment_id)
    return importlib.import_module(f'{__package__}.checks.{assignment.id.lower()}').CHECKS
