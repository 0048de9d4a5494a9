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


def test_a_target_of_shape_n_by_1_is_refused_not_broadcast():
    # (N, 1) against (N,) predictions compared every pair: accuracy 0.3125 instead of 0.5
    for metric in (accuracy, top_k_accuracy, confusion_matrix):
        with pytest.raises(ValueError, match=r'shape \(N,\), got shape \(4, 1\) \(flatten it'):
            metric(SCORES, TARGET[:, None])
    assert accuracy(SCORES, TARGET[:, None].reshape(-1)) == 0.5


@pytest.mark.parametrize('k', [0, -1, 1.5, True])
def test_top_k_needs_a_positive_integer_k(k):
    # k=0 gave 0.0 and k=-1 gave 1.0, silently
    with pytest.raises(ValueError, match=f'k must be a positive integer.*got {k!r}'):
        top_k_accuracy(SCORES, TARGET, k=k)
    assert top_k_accuracy(SCORES, TARGET, k=np.int64(2)) == 1.0


def test_confusion_matrix_refuses_labels_outside_its_classes():
    # a target 3 of 3 classes was a reshape error, -1 a bincount error, and a prediction 2 of
    # true class 0 with num_classes=2 was counted silently as class 1 predicted 0
    with pytest.raises(ValueError, match=r'targets must be class labels in \[0, 3\), got \[3, 5\]'):
        confusion_matrix(SCORES, np.array([0, 3, 5, 1]))
    with pytest.raises(ValueError, match=r'targets must be class labels in \[0, 3\), got \[-1\]'):
        confusion_matrix(SCORES, np.array([0, -1, 2, 1]))
    with pytest.raises(ValueError, match=r'predictions must be class labels in \[0, 2\), got \[2\]'):
        confusion_matrix(np.array([2, 1]), np.array([0, 1]), num_classes=2)
    with pytest.raises(ValueError, match=r'predictions must be class labels in \[0, 2\), got \[-2\]'):
        confusion_matrix(np.array([-2, 1]), np.array([0, 1]))
    assert confusion_matrix(np.array([0, 1]), np.array([0, 1]), num_classes=2).tolist() == [[1, 0], [0, 1]]
