#!/usr/bin/env bash
# The GPU checks of issue 10 as one command, for a session that is lent a GPU machine (where
# nothing can be installed: the tree runs with PYTHONPATH=.; numpy, cupy, torch, pytest there):
#
#     bash benchmarks/gpu_session.sh            # writes everything under $OUT
#
# 1. the test suite on CuPy (MINIDL_DEVICE=cuda), 2. the GPU benchmark suite against minidl on
# NumPy and PyTorch CUDA. Each step has its own time limit, so one that hangs cannot use up the
# device time of the other; the summary at the end is what to read first. Copy $OUT/results/*
# into benchmarks/results/ (they are named by the card) and commit them.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/minidl-gpu}
mkdir -p "$OUT/results"
export PYTHONPATH=.

nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
python -c "import cupy, numpy; print('cupy', cupy.__version__, 'numpy', numpy.__version__)" \
    > "$OUT/versions.txt" 2>&1

# CuPy compiles each kernel on its first use, so the first run of the suite is slower than on
# the CPU; --maxfail keeps a systematic failure from running to the time limit.
timeout "${TEST_LIMIT_S:-330}" env MINIDL_DEVICE=cuda python -m pytest -q -p no:cacheprovider \
    --maxfail=25 tests > "$OUT/pytest-cuda.txt" 2>&1
echo "pytest exit status $?" >> "$OUT/pytest-cuda.txt"

timeout "${BENCH_LIMIT_S:-200}" python -m benchmarks --suite gpu --compare torch \
    --out "$OUT/results" > "$OUT/benchmarks-gpu.txt" 2>&1
echo "benchmarks exit status $?" >> "$OUT/benchmarks-gpu.txt"

{
    echo "== versions"; cat "$OUT/versions.txt"
    echo "== pytest (last lines)"; tail -n 15 "$OUT/pytest-cuda.txt"
    echo "== benchmarks"; cat "$OUT/benchmarks-gpu.txt"
} | tee "$OUT/summary.txt"
