"""Plots drawn with matplotlib on Figures made without pyplot (no display needed, nothing left
open, the user's backend never switched: see ``figure.py``); import only where drawing."""
from .augment import show_augmentations
from .training import plot_confusion_matrix, plot_grad_norms, plot_history, plot_lr_schedule
