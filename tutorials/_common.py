"""What every tutorial shares: the FAST switch and where figures go.

Tutorials import this module after putting their own folder on ``sys.path`` (one line at
their top), so it works from the repository root, from ``tutorials/`` and in Jupyter.

* ``FAST`` is True when the environment sets ``MINIDL_FAST=1`` (the tests do): tutorials
  use it to shrink sizes and iteration counts so each one runs in a few seconds.
* ``figure_path(name)`` is where a figure called ``name`` is saved: ``tutorials/figures/``
  (committed, so readers see the figures without running anything), or the folder named by
  ``MINIDL_FIGURES`` (the tests point it at a temporary folder, so running them changes no
  committed file).
"""
import os
from pathlib import Path

FAST = os.environ.get('MINIDL_FAST') == '1'


def figure_dir():
    """The folder figures are written to (created if missing)."""
    folder = Path(os.environ.get('MINIDL_FIGURES') or Path(__file__).resolve().parent / 'figures')
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def figure_path(name):
    """The path for a figure file, e.g. ``figure_path('00_graph.png')``."""
    return figure_dir() / name
