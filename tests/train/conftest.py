"""Tiny, fast training set-ups shared by the training tests."""
import pytest

import minidl
from minidl import nn, optim
from minidl.data import DataLoader, TensorDataset, make_spirals


def make_run(seed=0, lr=0.01, n=120, scheduler='sequential'):
    """A small MLP with BatchNorm and Dropout on spirals, AdamW, a warm-up + cosine schedule
    counted in batches, and a loader whose shuffling generator is seeded from minidl's."""
    minidl.manual_seed(seed)
    x, y = make_spirals(n_samples=n, n_classes=3, seed=0)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    val_loader = DataLoader(TensorDataset(x, y), batch_size=64)
    model = nn.Sequential(nn.Linear(2, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 3))
    optimizer = optim.AdamW(model.parameters(), lr=lr)
    sched = None
    if scheduler == 'sequential':
        lrs = optim.lr_scheduler
        sched = lrs.SequentialLR(optimizer, [lrs.LinearLR(optimizer, start_factor=0.1, total_iters=4),
                                             lrs.CosineAnnealingLR(optimizer, T_max=12)], milestones=[4])
    return dict(model=model, loss_fn=nn.CrossEntropyLoss(), optimizer=optimizer, train_loader=loader,
                val_loader=val_loader, scheduler=sched)


@pytest.fixture
def run():
    return make_run()
