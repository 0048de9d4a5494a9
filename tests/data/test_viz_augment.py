"""show_augmentations draws originals and augmented copies, and saves a file."""
import os
import subprocess
import sys
from pathlib import Path

import numpy
import pytest

pytest.importorskip('matplotlib')
from minidl.data import load_digits, transforms as T  # noqa: E402
from minidl.viz import show_augmentations  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def test_grid_and_file(tmp_path):
    images = load_digits()[0][:3]
    path = tmp_path / 'grid.png'
    fig = show_augmentations(T.Compose([T.RandomHorizontalFlip(p=1.0)]), images, n_samples=2, path=path)
    assert len(fig.axes) == 3 * 3 and path.stat().st_size > 1000
    first = fig.axes[0].images[0].get_array()
    flipped = fig.axes[1].images[0].get_array()
    numpy.testing.assert_array_equal(first, images[0, 0])
    numpy.testing.assert_array_equal(flipped, images[0, 0, :, ::-1])


def test_rgb_and_error():
    fig = show_augmentations(T.ColorJitter(0.3, 0.3, 0.3, 0.1), numpy.random.default_rng(0).random((1, 3, 4, 4)),
                             n_samples=1)
    assert fig.axes[1].images[0].get_array().shape == (4, 4, 3)
    with pytest.raises(ValueError, match='show_augmentations'):
        show_augmentations(T.RandomHorizontalFlip(), numpy.zeros((4, 4)))


def test_no_pyplot_figure_is_left_open_and_missing_folders_are_made(tmp_path):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure
    images = numpy.random.default_rng(0).random((2, 1, 8, 8))
    before = plt.get_fignums()
    for _ in range(3):
        fig = show_augmentations(T.RandomHorizontalFlip(), images, n_samples=2)
    assert plt.get_fignums() == before and type(fig) is Figure
    path = tmp_path / 'new' / 'folder' / 'grid'                # no suffix: a PNG at exactly this path
    show_augmentations(T.RandomHorizontalFlip(), images, n_samples=1, path=path)
    assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert sorted(p.name for p in path.parent.iterdir()) == ['grid']


def test_importing_the_plots_keeps_the_users_backend():
    # a notebook's inline backend must survive `import minidl.viz` (a fresh interpreter:
    # this one has imported it already)
    code = ("import matplotlib; matplotlib.use('svg'); import minidl.viz, minidl.viz.augment; "
            "print(matplotlib.get_backend())")
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.stdout.strip() == 'svg'


def test_no_images_is_a_clear_error():
    images = numpy.zeros((0, 1, 8, 8))
    with pytest.raises(ValueError, match=r'no images to show \(images of shape \(0, 1, 8, 8\)'):
        show_augmentations(T.RandomHorizontalFlip(), images)
    with pytest.raises(ValueError, match='n_images=0'):
        show_augmentations(T.RandomHorizontalFlip(), numpy.zeros((2, 1, 8, 8)), n_images=0)
    with pytest.raises(ValueError, match='n_samples must be >= 0, got -1'):
        show_augmentations(T.RandomHorizontalFlip(), numpy.zeros((2, 1, 8, 8)), n_samples=-1)
