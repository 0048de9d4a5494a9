"""Throughput of the input pipeline: DataLoader + RandomHorizontalFlip + RandomCrop(28, padding=2).

Loads the embedded 5,000 MNIST images, iterates shuffled batches of 128 through the
augmentation on the current device (``MINIDL_DEVICE=cuda`` for the GPU), and prints images
per second (the best of several epochs, after one warm-up epoch)::

    python -m benchmarks.data_pipeline [--epochs 5] [--batch-size 128]     (from the repository root)
"""
import argparse
import time

import minidl
from minidl.data import DataLoader, TensorDataset, load_mnist_5k
from minidl.data import transforms as T


def epoch_seconds(loader):
    start = time.perf_counter()
    for x, y in loader:
        pass
    if minidl.get_device() == 'cuda':
        x.data.device.synchronize()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=5)
    parser.add_argument('--batch-size', type=int, default=128)
    args = parser.parse_args()
    minidl.manual_seed(0)
    images, labels = load_mnist_5k()
    augment = T.Compose([T.RandomHorizontalFlip(), T.RandomCrop(28, padding=2)])
    for name, transform in [('loading only', None), ('loading + flip + crop', augment)]:
        loader = DataLoader(TensorDataset(images, labels), batch_size=args.batch_size, shuffle=True,
                            transform=transform, seed=0)
        epoch_seconds(loader)                                     # warm-up
        best = min(epoch_seconds(loader) for _ in range(args.epochs))
        print(f'{name:24s} {len(images) / best:12,.0f} images/s  ({best * 1e3:.1f} ms per epoch of '
              f'{len(images)} images, batch {args.batch_size}, device {minidl.get_device()})')


if __name__ == '__main__':
    main()
