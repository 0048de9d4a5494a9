"""Plots drawn with matplotlib (Agg backend: no display needed); import only where drawing."""
from .augment import show_augmentations
from .training import plot_confusion_matrix, plot_grad_norms, plot_history, plot_lr_schedule
