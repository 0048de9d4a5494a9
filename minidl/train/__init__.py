"""Training: the ``fit`` loop, ``evaluate``, callbacks, checkpoints, history and metrics.

Example:
    >>> from minidl import train
    >>> train.accuracy([[0.1, 0.9], [0.8, 0.2]], [1, 1])
    0.5
"""
from .callbacks import Callback, EarlyStopping, ModelCheckpoint
from .checkpoint import load_checkpoint, save_checkpoint
from .loop import NonFiniteLossError, evaluate, fit
from .history import History
from .metrics import accuracy, confusion_matrix, get_metric, top_k_accuracy
