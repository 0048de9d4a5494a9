"""What the harness's pause between interleaved variants does to a GPU variant's time.

    python -m benchmarks.gpu_pause [--batch 256] [--rounds 9] [--out DIR]

The suite times minidl on NumPy, minidl on CuPy and PyTorch CUDA interleaved, and before a
block of another family it sleeps 0.3 s and runs an untimed block (``harness``). The CuPy
step of the small CNN is host-bound, and its blocks in the suite spread widely (1.8 to 3.1 ms
in one run, against a median of ~1.8 ms in ``gpu_profile``'s back-to-back blocks). Is that the
step, or the card (or the host) coming back from idle? This study times the same CuPy step,
interleaved round by round, after each of:

- ``back to back``: an untimed block right before (the card and the host kept busy);
- ``pause``: a 0.3 s sleep, then an untimed block (the harness's switch, nothing between);
- ``NumPy, pause``: a block of the same step on NumPy (all cores, as in the suite), then the
  harness's switch: what the suite does;
- ``NumPy, pause, long warm-up``: as the last, with untimed steps for ``--warm-s`` seconds
  before the timed block.

Each timed block is one per condition and round, ``--steps`` steps synced at its end; the
card's SM clock is read (NVML) just before and just after it. Writes ``gpu-pause-<gpu>.txt``
to ``--out``.

The answer on an H200 (``results/gpu-pause-gpu-nvidia-h200.txt``): the step. All four
conditions had medians of 1.88-1.94 ms, the card ran at 1980 MHz before and after every
timed block, and back-to-back blocks spread as widely (1.70-2.91 ms) as the others: the
spread is the host's (a shared VM), and the harness's one untimed block is warm-up enough.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

from . import gpu_profile, harness
from . import reference_numpy as ref
from . import workloads as W


def _sm_clock():
    """A function returning the first GPU's SM clock in MHz (NVML), or None without NVML."""
    try:
        import pynvml
        pynvml.nvmlInit()
        handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        return lambda: pynvml.nvmlDeviceGetClockInfo(handle, pynvml.NVML_CLOCK_SM)
    except Exception:                       # no NVML: the table leaves the clock out
        return lambda: None


def _block(step, sync, steps):
    """Seconds per step of one block of ``steps`` steps, synced before and after."""
    return gpu_profile._median_time(step, sync, 1, steps)


def study(batch, rounds, steps, warm_s, device='cuda'):
    params = ref.init_cnn(np.random.default_rng(0))
    x, y = W._data(batch, (1, 28, 28))
    on_numpy, _ = W.minidl_step(W.minidl_cnn(params), x, y, device='cpu')
    on_device, _ = W.minidl_step(W.minidl_cnn(params), x, y, device=device)
    sync = W._cupy_sync() if device == 'cuda' else (lambda: None)
    clock = _sm_clock()
    for _ in range(5):                      # kernels compiled, allocators warm
        on_numpy()
        on_device()
    sync()

    def warm_for(seconds):
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            _block(on_device, sync, steps)

    before = {
        'back to back': lambda: _block(on_device, sync, steps),
        'pause': lambda: (time.sleep(harness.SWITCH_SLEEP_S), _block(on_device, sync, steps)),
        'NumPy, pause': lambda: (_block(on_numpy, lambda: None, 2), time.sleep(harness.SWITCH_SLEEP_S),
                                 _block(on_device, sync, steps)),
        f'NumPy, pause, {warm_s:g} s warm-up': lambda: (_block(on_numpy, lambda: None, 2),
                                                        time.sleep(harness.SWITCH_SLEEP_S), warm_for(warm_s)),
    }
    got = {label: [] for label in before}
    labels = list(before)
    for r in range(rounds):
        for label in labels[r % len(labels):] + labels[:r % len(labels)]:     # a rotating order
            before[label]()
            mhz_before = clock()
            t = _block(on_device, sync, steps)
            got[label].append((t, mhz_before, clock()))
    lines = [f'## CNN step, batch {batch}, minidl on {device}: {rounds} rounds of one {steps}-step block per '
             'condition (rotating order)',
             f'{"before the timed block":<36} {"median ms":>9} {"min":>7} {"max":>7}   SM MHz before / after (medians)']
    for label, rows in got.items():
        times = [t * 1e3 for t, _, _ in rows]
        mhz = [(b, a) for _, b, a in rows if b is not None]
        clocks = (f'{statistics.median(b for b, _ in mhz):.0f} / {statistics.median(a for _, a in mhz):.0f}'
                  if mhz else 'n/a')
        lines.append(f'{label:<36} {statistics.median(times):9.3f} {min(times):7.3f} {max(times):7.3f}   {clocks}')
        lines.append(f'{"":<36} blocks: ' + ' '.join(f'{t:.2f}' for t in times))
    return '\n'.join(lines) + '\n'


def main(argv=None):
    p = argparse.ArgumentParser(prog='python -m benchmarks.gpu_pause', description=__doc__.splitlines()[0])
    p.add_argument('--batch', type=int, default=256)
    p.add_argument('--rounds', type=int, default=9)
    p.add_argument('--steps', type=int, default=40, help='steps per timed block (the suite: ~40)')
    p.add_argument('--warm-s', type=float, default=0.5, help='the long warm-up, seconds')
    p.add_argument('--device', choices=('cuda', 'cpu'), default='cuda',
                   help="'cpu' runs the study's code on NumPy alone (a check of the script)")
    p.add_argument('--out', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results'))
    args = p.parse_args(argv)
    if args.device == 'cuda' and not W._minidl().cuda_is_available():
        print('gpu_pause: CuPy or a GPU is not available; nothing measured')
        return
    name = harness.machine_name('gpu', harness.gpu_name()) if args.device == 'cuda' else harness.machine_name()
    command = 'python -m benchmarks.gpu_pause ' + ' '.join(sys.argv[1:] if argv is None else argv)
    text = f'# The pause between interleaved variants ({name})\n\nCommand: `{command.strip()}`\n\n' + study(
        args.batch, args.rounds, args.steps, args.warm_s, args.device)
    harness.write_text_report(args.out, f'gpu-pause-{name}.txt', text)


if __name__ == '__main__':
    main()
