"""The coursework kit: starters from the package source, the grader on reference solutions,
on planted bugs (each must fail with its hint) and on untouched starters, and the CLI."""
import ast

import pytest

from minidl import backend
from minidl.coursework import assignments, grader
from minidl.functional import conv
from minidl.cli import main
from minidl.coursework.generator import unimplemented

# (assignment, line of the reference solution, the buggy line, words of the expected hint)
PLANTED = [
    ('A1', 'gb = sum_to_shape(gy * a, b.shape)', 'gb = gy * a', 'broadcast reduction'),
    ('A1', 'g = Sum(axes, keepdim=True)(g)', 'g = Sum(axes, keepdim=True)(g) / (g.numel() / max(1, math.prod(shape)))',
     'averaged over the batch'),
    ('A1', 'gb = sum_to_shape(-gy * a / (b * b), b.shape)', 'gb = sum_to_shape(gy * a / (b * b), b.shape)', 'sign'),
    ('A1', 'g = Sum(axes, keepdim=True)(g)', 'g = type(g)(g.data.sum(axis=axes, keepdims=True))', 'Tensor ops'),
    ('A2', 'gb = sum_to_shape(a2.transpose(-1, -2) @ gy2, b2.shape)', 'gb = gy2.transpose(-1, -2) @ a2',
     'transposed gradient'),
    ('A2', 'gb = sum_to_shape(a2.transpose(-1, -2) @ gy2, b2.shape)', 'gb = a2.transpose(-1, -2) @ gy2',
     'missing sum over the batch'),
    ('A2', 'self.save_for_backward(y > 0)', 'self.save_for_backward(y)', 'mask'),
    ('A2', 'self.save_for_backward(y > 0)', 'self.save_for_backward(y >= 0)', 'at x = 0'),
    ('A2', 'return gy - y.exp() * gy.sum(dim=self.dim, keepdim=True)', 'return gy - y.exp()', 'sum over the class'),
    ('A3', 'pixels += cols[:, i, j].transpose(3, 0, 1, 2)', 'pixels[...] = cols[:, i, j].transpose(3, 0, 1, 2)',
     'overlap'),
    ('A3', 'return y.reshape(out_channels, out_h, out_w, n).transpose(3, 0, 1, 2)',
     'return y.reshape(n, out_channels, out_h, out_w)', 'cols layout'),
    ('A3', 'hit &= free', 'hit = hit', 'ties'),
    ('A3', 'pixels += w * g', 'pixels[...] = w * g', 'overlap'),
    ('A4', '- x_hat * (g * x_hat).mean(dim=axes, keepdim=True))', ')', 'x̂ · mean(g · x̂)'),
    ('A4', 'return shape, (0,) + tuple(range(2, len(shape)))', 'return shape, (0,)', 'wrong group'),
    ('A4', 'scale = 1 / (1 - self.p) if self.p < 1 else 0.0', 'scale = 1.0', 'not rescaled'),
    ('A4', 'device=backend.device_of(x)) >= self.p', 'device=backend.device_of(x)) < self.p', 'probability to DROP'),
    ('A4', 'keep = backend.uniform(shape,', 'keep = backend.uniform(x.shape,', 'drops whole channels'),
    ('A4', 'keep = backend.uniform(', 'backend.manual_seed(0); keep = backend.uniform(', 'a new mask at every call'),
    ('A5', 'param -= (lr / bias_correction1) * exp_avg / denom', 'param -= lr * exp_avg / (xp.sqrt(exp_avg_sq) + eps)',
     'without bias correction'),
    ('A5', 'grad = grad + momentum * buf if group[\'nesterov\'] else buf', 'grad = grad', 'momentum ignored'),
    ('A5', 'avg = xp.sqrt(square_avg) + eps', 'avg = xp.sqrt(square_avg + eps)', 'outside the square root'),
    ('A6', 'offset = centre - (inv @ (centre + translate)[:, :, None])[:, :, 0]',
     'offset = centre - (inv @ (centre - translate)[:, :, None])[:, :, 0]', 'translation sign'),
    ('A6', 'inv = _matrices(a[:, 1, 1], -a[:, 0, 1], -a[:, 1, 0], a[:, 0, 0]) / det', 'inv = a', 'FORWARD map'),
    ('A6', 'return (1 - fy) * top + fy * bottom', 'return fy * top + (1 - fy) * bottom', 'weights swapped'),
]


def _grade(path, assignment_id):
    return grader.run_checks(assignments.checks(assignment_id), grader.load_student(str(path)))


def _write(tmp_path, assignment_id, text):
    path = tmp_path / assignments.filename(assignment_id)
    path.write_text(text, encoding='utf-8')
    return path


@pytest.mark.parametrize('assignment_id', list(assignments.ASSIGNMENTS))
def test_the_reference_solution_passes(tmp_path, assignment_id):
    rows = _grade(_write(tmp_path, assignment_id, assignments.starter(assignment_id, keep_solutions=True)),
                  assignment_id)
    assert [row for row in rows if not row[1]] == []
    assert len(rows) >= 3


@pytest.mark.parametrize('assignment_id, correct, buggy, hint', PLANTED)
def test_a_planted_bug_fails_with_its_hint(tmp_path, monkeypatch, assignment_id, correct, buggy, hint):
    # the planted col2im and max-pooling bugs sit in the slice sweep, which a GPU would skip
    monkeypatch.setitem(conv.WINDOW_SWEEP, backend.xp_for().__name__, 'slices')
    solution = assignments.starter(assignment_id, keep_solutions=True)
    assert solution.count(correct) == 1, "the planted bug's line is no longer in the package source"
    if assignment_id == 'A1':
        solution = 'import math\n' + solution
    rows = _grade(_write(tmp_path, assignment_id, solution.replace(correct, buggy)), assignment_id)
    failed = [row for row in rows if not row[1]]
    assert failed and any(hint in row[3] for row in failed), grader.format_table(rows)


# the input gradient of a convolution through col2im with another window than the forward's:
# stride 1, or no dilation (checked at stride 1, padding 1 and dilation 1 only, they passed)
WRONG_WINDOWS = ['SlidingWindow(self.window.kernel, 1, self.window.padding, self.window.dilation)',
                 'SlidingWindow(self.window.kernel, self.window.stride, self.window.padding)']


@pytest.mark.parametrize('window', WRONG_WINDOWS)
def test_a_convolution_gradient_with_the_wrong_window_fails(tmp_path, window):
    correct = 'col2im = Col2Im(self.window, x.shape)'
    solution = assignments.starter('A3', keep_solutions=True)
    assert solution.count(correct) == 1 and 'SlidingWindow' in solution
    rows = _grade(_write(tmp_path, 'A3', solution.replace(correct, f'col2im = Col2Im({window}, x.shape)')), 'A3')
    failed = {name for name, passed, _, _ in rows if not passed}
    assert {'conv2d forward and gradients vs reference (stride, padding, dilation)',
            'gradcheck conv2d (stride, padding, dilation)'} <= failed, grader.format_table(rows)


def test_a_transposed_gradient_gets_the_transposed_hint_in_every_row(tmp_path):
    # the gradcheck and training rows, where the autograd engine refuses the gradient's shape,
    # said "forgotten broadcast reduction"
    correct = 'gb = sum_to_shape(a2.transpose(-1, -2) @ gy2, b2.shape)'
    solution = assignments.starter('A2', keep_solutions=True)
    rows = _grade(_write(tmp_path, 'A2', solution.replace(correct, 'gb = gy2.transpose(-1, -2) @ a2')), 'A2')
    hints = [hint for _, passed, _, hint in rows if not passed]
    assert len(hints) == 3 and all('transposed gradient' in hint for hint in hints), grader.format_table(rows)


def test_every_assignment_has_three_planted_bugs():
    counts = {a: sum(p[0] == a for p in PLANTED) for a in assignments.ASSIGNMENTS}
    assert min(counts.values()) >= 3, counts


@pytest.mark.parametrize('assignment_id', list(assignments.ASSIGNMENTS))
def test_the_untouched_starter_fails_cleanly_naming_what_is_left(tmp_path, assignment_id):
    text = assignments.starter(assignment_id)
    todo = unimplemented(text)
    assert todo and 'BEGIN SOLUTION' not in text
    rows = _grade(_write(tmp_path, assignment_id, text), assignment_id)
    assert not any(passed for _, passed, _, _ in rows)
    assert all(error.startswith('not implemented yet: ') for _, _, error, _ in rows)
    assert 'Still unimplemented: ' + ', '.join(todo) in grader.summary(rows, text)


MUL_GRADIENTS = '        ga = sum_to_shape(gy * b, a.shape) if self.needs_input_grad[0] else None\n'


def _a1_with_mul_backward(tmp_path, code):
    """The A1 reference solution, with ``code`` (lines at the indentation of a method's body)
    in place of Mul.backward's gradients; and the line number of its first line."""
    solution = assignments.starter('A1', keep_solutions=True)
    assert solution.count(MUL_GRADIENTS) == 1
    line = solution[:solution.index(MUL_GRADIENTS)].count('\n') + 1
    return _write(tmp_path, 'A1', solution.replace(MUL_GRADIENTS, code)), line


@pytest.mark.parametrize('exit_call', ['import sys; sys.exit(0)', 'exit()', 'raise SystemExit'])
def test_exit_in_the_students_code_fails_its_checks(tmp_path, capsys, exit_call):
    path, line = _a1_with_mul_backward(tmp_path, f'        {exit_call}\n')
    assert _cli(['assignment', 'check', str(path)]) == 1                   # it exited with 0 before
    assert '2 of 6 checks passed.' in capsys.readouterr().out
    failed = [row for row in _grade(path, 'A1') if not row[1]]
    assert len(failed) == 4
    assert all(error.startswith('SystemExit: exit(') and error.endswith(f'(line {line}: {exit_call})')
               and hint == grader.EXITED for _, _, error, hint in failed), grader.format_table(failed)


def test_an_endless_loop_fails_its_checks_after_the_time_limit(tmp_path):
    path, line = _a1_with_mul_backward(tmp_path, '        while True:\n            pass\n')
    rows = grader.run_checks(assignments.checks('A1'), grader.load_student(str(path)), seconds=0.3)
    failed = [row for row in rows if not row[1]]
    assert len(failed) == 4                             # all but sum_to_shape and Div, which pass
    assert all(error.startswith('TimeLimitExceeded: stopped after the time limit of 0.3 s')
               and error.endswith((f'(line {line}: while True:)', f'(line {line + 1}: pass)'))
               and hint == grader.TOO_SLOW for _, _, error, hint in failed), grader.format_table(rows)


def test_the_time_limit_stops_only_what_runs_past_it():
    with grader.time_limit(5):
        pass                                                    # the alarm is off again afterwards
    with pytest.raises(grader.TimeLimitExceeded), grader.time_limit(0.05):
        while True:
            pass


@pytest.mark.parametrize('top_level, error', [
    ('print(undefined_name)', "NameError: name 'undefined_name' is not defined"),
    ('exit()', 'SystemExit: exit(None) was called'),
    ('import minidl_no_such_module', "ModuleNotFoundError: No module named 'minidl_no_such_module'"),
    ('x = (', "SyntaxError: '(' was never closed"),
    ('while True:\n    pass', 'TimeLimitExceeded: stopped after the time limit of 0.3 s'),
])
def test_a_file_that_fails_at_import_is_one_line_and_exit_code_2(tmp_path, capsys, top_level, error):
    path = _write(tmp_path, 'A1', f"ASSIGNMENT = 'A1'\n{top_level}\n")
    assert _cli(['assignment', 'check', str(path), '--time-limit', '0.3']) == 2
    captured = capsys.readouterr()
    assert captured.err == f"{path}:2: {error}\n" and captured.out == ''


def test_an_error_points_at_the_students_line_not_into_numpy(tmp_path):
    path, line = _a1_with_mul_backward(tmp_path, '        ga = numpy.reshape(gy.data, (7, 7))\n'
                                                 '        return ga, None\n')
    path.write_text('import numpy\n' + path.read_text(encoding='utf-8'), encoding='utf-8')
    rows = _grade(path, 'A1')
    errors = [error for _, passed, error, _ in rows if error.startswith('ValueError')]
    assert errors and all(error.endswith(f'(line {line + 1}: ga = numpy.reshape(gy.data, (7, 7)))')
                          for error in errors), grader.format_table(rows)


def _unused_imports(text):
    """The names that a module's imports bind and its code never reads (pyflakes's F401)."""
    tree = ast.parse(text)
    bound = {(alias.asname or alias.name).partition('.')[0] for node in ast.walk(tree)
             if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    return bound - {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _imported_from(text):
    """{bound name: module it is imported from} for the ``from ... import`` lines of ``text``."""
    return {alias.asname or alias.name: node.module for node in ast.parse(text).body
            if isinstance(node, ast.ImportFrom) for alias in node.names}


@pytest.mark.parametrize('assignment_id', list(assignments.ASSIGNMENTS))
def test_a_starter_imports_what_it_uses_and_the_solutions_tools_only(assignment_id):
    # a starter that imported the helpers of the removed solution (A3: max_over_window_view,
    # _col2im_of_product, ...) let a student call the reference implementation through them;
    # the tools the solution takes from other modules stay (A2's sum_to_shape, a student's too)
    starter = assignments.starter(assignment_id)
    assert _unused_imports(assignments.starter(assignment_id, keep_solutions=True)) == set()
    imported = _imported_from(starter)
    assert not [name for name in _unused_imports(starter) if name.startswith('_')]
    if assignment_id == 'A2':
        assert imported['sum_to_shape'] == 'minidl.functional.reduction'
    if assignment_id == 'A3':
        assert not {'max_over_window_view', 'col2im', '_col2im_view', '_stacked_like'} & set(imported)


def _cli(argv):
    return main(argv)


def test_cli_list_start_check_and_exit_codes(tmp_path, capsys):
    assert _cli(['assignment', 'list']) == 0
    assert 'A6  An affine-warp augmentation' in capsys.readouterr().out
    assert _cli(['assignment', 'start', 'a2', '--dir', str(tmp_path)]) == 0
    assert 'wrote' in capsys.readouterr().out
    assert _cli(['assignment', 'start', 'A2', '--dir', str(tmp_path)]) == 2          # refuses to overwrite
    assert 'pass --force' in capsys.readouterr().err
    assert _cli(['assignment', 'check', str(tmp_path / 'a2.py')]) == 1
    out = capsys.readouterr().out
    assert 'Still unimplemented: MatMul.backward, ReLU.forward, ReLU.backward, LogSoftmax.backward.' in out
    assert 'Traceback' not in out and 'passed' in out and 'hint' in out
    assert _cli(['assignment', 'start', 'A2', '--dir', str(tmp_path), '--force', '--solution']) == 0
    assert _cli(['assignment', 'check', str(tmp_path / 'a2.py')]) == 0
    assert _cli(['assignment', 'start', 'A9']) == 2
    assert 'choose one of A1, A2' in capsys.readouterr().err
