"""Speed benchmarks for minidl: ``python -m benchmarks --help``.

minidl against a hand-written NumPy reference (``reference_numpy``) and, when installed,
PyTorch (``reference_torch``); timed interleaved in one process (``harness``), workloads in
``workloads``. Results (JSON, markdown, PNG) go to ``benchmarks/results/``, named by machine.
"""
