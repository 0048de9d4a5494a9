"""``minidl assignment list | start ID [--dir DIR] [--force] [--solution] | check FILE``.

``check`` exits with 0 when every check passes and 1 otherwise (2 for a file it cannot
grade: it cannot be read, or importing it fails, with one line ``file:line: Error: message``),
so it can gate an autograding CI job.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog='minidl')
    >>> _ = register(parser.add_subparsers(dest='command'))
    >>> run(parser.parse_args(['assignment', 'list']))          # doctest: +ELLIPSIS
    A1  Elementwise ops and broadcasting in backward
    ...
    0
"""
import os
import sys

from . import assignments
from .generator import UNIMPLEMENTED
from .grader import TIME_LIMIT, StudentFileError, format_table, load_student, run_checks, summary


def register(subparsers):
    """Add the ``assignment`` command (with list/start/check) to a CLI's subparsers."""
    parser = subparsers.add_parser('assignment', help='coursework: list, start and check assignments')
    actions = parser.add_subparsers(dest='action', parser_class=type(parser))
    actions.add_parser('list', help='the assignments and what each one asks')
    start = actions.add_parser('start', help='write the starter file of an assignment')
    start.add_argument('id', help='assignment id, e.g. A2')
    start.add_argument('--dir', default='.', help='directory to write it into (default: here)')
    start.add_argument('--force', action='store_true', help='overwrite an existing file')
    start.add_argument('--solution', action='store_true',
                       help='write the reference solution instead (for teachers)')
    check = actions.add_parser('check', help='grade a file: gradient checks, reference comparison, training')
    check.add_argument('file', help='the file to grade, e.g. a2.py')
    check.add_argument('--assignment', help="assignment id (default: the file's ASSIGNMENT)")
    check.add_argument('--time-limit', type=float, default=TIME_LIMIT, metavar='SECONDS',
                       help=f'stop a check (or the import of the file) after this long (default {TIME_LIMIT:g})')
    return parser


def run(args):
    """Run ``minidl assignment ...``; returns the exit code."""
    action = getattr(args, 'action', None)
    try:
        if action == 'start':
            return _start(args)
        if action == 'check':
            return _check(args)
    except (KeyError, OSError) as error:
        message = error.args[0] if isinstance(error, KeyError) else str(error)
        print(f"minidl: error: {message}", file=sys.stderr)
        return 2
    for assignment in assignments.ASSIGNMENTS.values():
        print(f"{assignment.id}  {assignment.title}")
    return 0


def _start(args):
    text = assignments.starter(args.id, keep_solutions=args.solution)
    os.makedirs(args.dir, exist_ok=True)
    path = os.path.join(args.dir, assignments.filename(args.id))
    if os.path.exists(path) and not args.force:
        print(f"minidl: error: {path} exists; pass --force to overwrite it", file=sys.stderr)
        return 2
    with open(path, 'w', encoding='utf-8') as file:
        file.write(text)
    todo = len(UNIMPLEMENTED.findall(text))
    print(f"wrote {path}" + (f" ({todo} places to fill in); grade it with `minidl assignment check {path}`"
                             if todo else ''))
    return 0


def _check(args):
    with open(args.file, encoding='utf-8') as file:
        text = file.read()
    try:
        student = load_student(args.file, args.time_limit)
    except StudentFileError as error:
        print(error, file=sys.stderr)
        return 2
    assignment_id = args.assignment or getattr(student, 'ASSIGNMENT', None)
    if assignment_id is None:
        raise KeyError(f"{args.file} does not say which assignment it is (no ASSIGNMENT = '...'); "
                       "pass --assignment ID")
    rows = run_checks(assignments.checks(assignment_id), student, args.time_limit)
    print(f"{assignments.get(assignment_id).id}: {assignments.get(assignment_id).title} ({args.file})")
    print(format_table(rows))
    print(summary(rows, text))
    return 0 if all(passed for _, passed, _, _ in rows) else 1
