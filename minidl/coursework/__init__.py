"""Coursework kit: assignments generated from minidl's own source, and their autograder.

    assignments   the table (A1..A6), starter and solution files
    generator     extracting code from the package, replacing the marked solution regions
    grader        running the checks, hints for classic mistakes, the result table
    checks/       the checks of each assignment
    cli           ``minidl assignment list | start | check``

The workflow is described in ``docs/coursework.md``.
"""
