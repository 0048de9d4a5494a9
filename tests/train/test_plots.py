"""The training plots are real, non-trivial PNG images."""
import matplotlib.image
import numpy as np
import pytest

from minidl.train import fit
from minidl.train.history import History
from minidl.viz import training as plots

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def assert_real_png(path, min_bytes=5000):
    """A file that exists, starts with the PNG signature, is bigger than ``min_bytes`` and
    has more than a few distinct pixel values."""
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path.name} is not a PNG"
    assert len(data) > min_bytes, f"{path.name} is only {len(data)} bytes"
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and min(pixels.shape[:2]) > 100
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 20, f"{path.name} is nearly blank"


def test_training_plots(run, tmp_path):
    history = fit(**run, epochs=3, scheduler_interval='batch', verbose=0)
    history.plot(tmp_path / 'curves.png')
    plots.plot_lr_schedule(history.step_lr, tmp_path / 'lr.png')
    plots.plot_confusion_matrix(np.array([[8, 1, 0], [2, 7, 1], [0, 0, 9]]), ['a', 'b', 'c'], tmp_path / 'cm.png')
    fig = plots.plot_grad_norms(history, tmp_path / 'grads.png')
    assert len(fig.axes[0].lines) == len(history.grad_norms)
    for name in ('curves.png', 'lr.png', 'cm.png', 'grads.png'):
        assert_real_png(tmp_path / name)


def test_history_csv(run, tmp_path):
    history = fit(**run, epochs=2, verbose=0)
    history.to_csv(tmp_path / 'h.csv')
    rows = (tmp_path / 'h.csv').read_text().strip().splitlines()
    header = rows[0].split(',')
    assert len(rows) == 3 and header[:3] == ['epoch', 'lr', 'loss'] and 'grad_norm/0.weight' in header
    assert float(rows[2].split(',')[header.index('val_loss')]) == history['val_loss'][1]


def test_a_plot_is_written_to_exactly_the_path_asked_for(tmp_path):
    history = History()
    history.history['loss'] = [1.0, 0.5]
    plots.plot_history(history, tmp_path / 'new' / 'curves')           # no suffix: PNG, no '.png' added
    plots.plot_history(history, str(tmp_path / 'new' / 'curves.PDF'))
    assert sorted(p.name for p in (tmp_path / 'new').iterdir()) == ['curves', 'curves.PDF']
    assert (tmp_path / 'new' / 'curves').read_bytes()[:8] == PNG_MAGIC
    assert (tmp_path / 'new' / 'curves.PDF').read_bytes()[:5] == b'%PDF-'


def cell_texts(fig):
    return [text.get_text() for text in fig.axes[0].texts]


def test_confusion_matrix_writes_counts_rates_and_nan():
    assert cell_texts(plots.plot_confusion_matrix(np.array([[8, 1], [12, 130]]))) == ['8', '1', '12', '130']
    rates = np.array([[0.9, 0.1], [0.25, 0.75]])                         # a normalized matrix
    assert cell_texts(plots.plot_confusion_matrix(rates)) == ['0.9', '0.1', '0.25', '0.75']
    counts = np.array([[1.0, np.nan], [0.0, 2.0]])                       # float counts, one unknown
    fig = plots.plot_confusion_matrix(counts)
    assert cell_texts(fig) == ['1', 'nan', '0', '2']
    assert [text.get_color() for text in fig.axes[0].texts] == ['black', 'black', 'black', 'white']
    with pytest.raises(ValueError, match=r'square C x C matrix, got shape \(2, 3\)'):
        plots.plot_confusion_matrix(np.zeros((2, 3)))
