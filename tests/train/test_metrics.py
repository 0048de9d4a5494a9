"""accuracy, top_k_accuracy, confusion_matrix on arrays and Tensors."""
import numpy as np
import pytest

import minidl
from minidl.train import accuracy, confusion_matrix, get_metric, top_k_accuracy

SCORES = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.1, 0.5, 0.4]])
TARGET = np.array([1, 1, 2, 2])


def test_accuracy_on_scores_labels_and_tensors():
    assert accuracy(SCORES, TARGET) == 0.5
    assert accuracy(np.array([1, 0, 2, 1]), TARGET) == 0.5
    assert accuracy(minidl.tensor(SCORES), minidl.tensor(TARGET)) == 0.5


def test_top_k_accuracy():
    assert top_k_accuracy(SCORES, TARGET, k=1) == accuracy(SCORES, TARGET)
    assert top_k_accuracy(SCORES, TARGET, k=2) == 1.0        # sample 1: class 1 is second
    assert top_k_accuracy(SCORES, TARGET, k=10) == 1.0        # k beyond C means all classes
    assert get_metric('top2_accuracy')[1](SCORES, TARGET) == 1.0


def test_confusion_matrix_rows_are_true_classes():
    cm = confusion_matrix(SCORES, TARGET)
    assert cm.tolist() == [[0, 0, 0], [1, 1, 0], [0, 1, 1]]
    assert cm.sum() == 4 and np.trace(cm) / cm.sum() == accuracy(SCORES, TARGET)
    assert confusion_matrix(np.array([0, 1]), np.array([1, 1]), num_classes=3).shape == (3, 3)


def test_errors():
    with pytest.raises(ValueError, match='3 samples'):
        accuracy(SCORES[:3], TARGET)
    with pytest.raises(ValueError, match='unknown metric'):
        get_metric('f1')
