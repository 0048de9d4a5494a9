"""show_augmentations draws originals and augmented copies, and saves a file."""
import numpy
import pytest

pytest.importorskip('matplotlib')
from minidl.data import load_digits, transforms as T  # noqa: E402
from minidl.viz import show_augmentations  # noqa: E402


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
