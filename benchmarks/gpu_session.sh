#!/usr/bin/env bash
# The GPU checks of issue 10 as one command, for a session that is lent a GPU machine (where
# nothing can be installed: the tree runs with PYTHONPATH=.; numpy, cupy, torch, pytest there):
#
#     bash benchmarks/gpu_session.sh            # writes everything under $OUT
#
# 1. the GPU benchmark suite (minidl on CuPy vs minidl on NumPy vs PyTorch CUDA), 2. the
# host-vs-device study of the same steps (benchmarks.gpu_profile), 3. the test suite on CuPy
# (MINIDL_DEVICE=cuda), spread over 8 processes when pytest-xdist is there, then its slow
# tests (pytest -m slow; their log follows the suite's, in pytest-cuda.txt). Each step has its
# own time limit, so one that hangs cannot use up the device time of the others; the summary
# at the end is what to read first. Copy $OUT/results/* into benchmarks/results/ (they are
# named by the card) and commit them.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/minidl-gpu}
mkdir -p "$OUT/results"
export PYTHONPATH=. PYTHONUNBUFFERED=1

{
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv
    python -c "import sys, numpy, cupy, torch; print('python', sys.version.split()[0], 'numpy', numpy.__version__,
               'cupy', cupy.__version__, 'torch', torch.__version__); print('cpus', __import__('os').cpu_count())"
} > "$OUT/versions.txt" 2>&1

# The default limits add up to 375 s (100 + 70 + 130 + 75), so that with the machine's start a
# first call leaves room, in a 15-minute lease, for a second one that only judges the goals:
#     GOALS_RUNS=3 BENCH=0 TESTS=0 bash benchmarks/gpu_session.sh      (at most 240 s)
# BENCH=0 skips the suite and the profile (the goal runs time the same rows afresh).
if [ "${BENCH:-1}" != 0 ]; then
    timeout "${BENCH_LIMIT_S:-100}" python -m benchmarks --suite gpu --compare torch \
        --out "$OUT/results" > "$OUT/benchmarks-gpu.txt" 2>&1
    echo "benchmarks exit status $?" >> "$OUT/benchmarks-gpu.txt"

    timeout "${PROFILE_LIMIT_S:-70}" python -m benchmarks.gpu_profile --out "$OUT/results" \
        >> "$OUT/benchmarks-gpu.txt" 2>&1
    echo "gpu_profile exit status $?" >> "$OUT/benchmarks-gpu.txt"
else
    echo "benchmarks and gpu_profile not run (BENCH=0)" > "$OUT/benchmarks-gpu.txt"
fi

# GOALS_RUNS=3 (default 0: off) also judges the two GPU goals on the median over that many
# fresh runs of their rows (benchmarks.goals; each run about as long as the suite above): for
# a second call within one lease, once the first has shown the rest works.
if [ "${GOALS_RUNS:-0}" != 0 ]; then
    timeout "${GOALS_LIMIT_S:-240}" python -m benchmarks.goals --suite gpu --compare torch \
        --runs "$GOALS_RUNS" --out "$OUT/results" >> "$OUT/benchmarks-gpu.txt" 2>&1
    echo "goals exit status $?" >> "$OUT/benchmarks-gpu.txt"
fi

# CuPy compiles each kernel on its first use (cached on disk, shared by the processes), so
# the suite runs slower than its CPU run the first time; --maxfail keeps a systematic failure
# from running to the time limit; -v names each test as it ends, so a run cut short still says
# which failed.
# TESTS=0 measures only (about 1.5 minutes): for a second look at the numbers within one lease.
parallel=() && python -c "import xdist" 2>/dev/null && parallel=(-n 8)
per_test=() && python -c "import pytest_timeout" 2>/dev/null && per_test=(--timeout=90)
if [ "${TESTS:-1}" != 0 ]; then
    timeout "${TEST_LIMIT_S:-130}" env MINIDL_DEVICE=cuda python -m pytest -v -rfE --tb=short \
        --maxfail=60 "${parallel[@]}" "${per_test[@]}" tests > "$OUT/pytest-cuda.txt" 2>&1
    echo "pytest exit status $?" >> "$OUT/pytest-cuda.txt"
    timeout "${SLOW_LIMIT_S:-75}" env MINIDL_DEVICE=cuda python -m pytest -q -rfE --tb=short -m slow \
        "${parallel[@]}" "${per_test[@]}" tests >> "$OUT/pytest-cuda.txt" 2>&1
    echo "pytest -m slow exit status $?" >> "$OUT/pytest-cuda.txt"
else
    echo "tests not run (TESTS=0)" > "$OUT/pytest-cuda.txt"
fi

{
    echo "== versions"; cat "$OUT/versions.txt"
    echo "== pytest (last lines)"; tail -n 40 "$OUT/pytest-cuda.txt"
    echo "== benchmarks"; grep -v '^ \{3,\}[0-9]' "$OUT/benchmarks-gpu.txt" | grep -v '^$' | head -n 80
} | tee "$OUT/summary.txt"
