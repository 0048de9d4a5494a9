"""Datasets, DataLoader, augmentation transforms, preprocessing."""
from . import datasets, preprocessing, transforms
from .dataloader import DataLoader
from .dataset import Dataset, Subset, TensorDataset, default_collate, random_split
from .datasets import (load_digits, load_mnist, load_mnist_5k, make_blobs, make_circles, make_moons,
                       make_spirals, train_val_test_split)
from .preprocessing import MinMaxScaler, StandardScaler, channel_mean_std, one_hot
