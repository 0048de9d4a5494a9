"""Datasets, DataLoader, augmentation transforms, preprocessing."""
