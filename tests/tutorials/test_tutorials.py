"""Run every tutorial (``tutorials/NN_name.py``) as a script, the way a reader would.

Each runs in a subprocess with ``MINIDL_FAST=1`` (smaller sizes: a few seconds each),
``MPLBACKEND=Agg`` (no display) and ``MINIDL_FIGURES`` pointing at a temporary folder, so the
committed figures in ``tutorials/figures/`` are left untouched. A tutorial passes when it
exits with status 0 (its closing assertion on measured numbers held) and saved at least one
PNG figure.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIALS = sorted((ROOT / 'tutorials').glob('[0-9][0-9]_*.py'))


def test_tutorials_are_found():
    assert len(TUTORIALS) >= 2, f"no tutorials found in {ROOT / 'tutorials'}"


def test_readme_lists_every_tutorial():
    readme = (ROOT / 'tutorials' / 'README.md').read_text(encoding='utf-8')
    missing = [path.name for path in TUTORIALS if path.name not in readme]
    assert not missing, f"tutorials/README.md does not list {missing}"


@pytest.mark.parametrize('path', TUTORIALS, ids=[path.stem for path in TUTORIALS])
def test_tutorial_runs_and_its_claim_holds(path, tmp_path):
    figures = tmp_path / 'figures'
    # one BLAS thread: the tutorials' matrices are small, and a second thread only spins
    env = dict(os.environ, MINIDL_FAST='1', MPLBACKEND='Agg', MINIDL_FIGURES=str(figures),
               OPENBLAS_NUM_THREADS='1', OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')])))
    result = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (
        f"{path.name} exited with status {result.returncode}\n"
        f"--- stdout (end) ---\n{result.stdout[-3000:]}\n--- stderr (end) ---\n{result.stderr[-3000:]}")
    pngs = sorted(figures.glob('*.png'))
    assert pngs, f"{path.name} saved no PNG figure (expected some in MINIDL_FIGURES={figures})"
