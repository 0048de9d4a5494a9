"""Plots drawn with matplotlib (Agg backend: no display needed); import only where drawing."""
from .augment import show_augmentations
