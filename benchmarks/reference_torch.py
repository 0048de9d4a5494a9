"""The benchmark models in PyTorch (CPU or CUDA): the same math as reference_numpy.

Imported only for ``--compare torch`` (and by the GPU suite); ``available()`` says whether
torch can be imported, so the column is skipped cleanly without it. PyTorch is never a
dependency of minidl or of its default tests.
"""
import numpy as np

try:                                   # pragma: no cover - depends on the machine
    import torch
    import torch.nn.functional as F
except Exception:                      # ImportError, or a broken install
    torch = None


def available():
    return torch is not None


def version():
    return None if torch is None else torch.__version__


def _load(model, params, device):
    if str(device).startswith('cuda'):
        float32_on_cuda()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(np.ascontiguousarray(params[name])).to(device))
    return model.to(device)


def float32_on_cuda():
    """Make PyTorch CUDA compute in float32, as minidl on CuPy does. By default PyTorch runs its
    cuDNN convolutions in TF32 (tensor cores, inputs rounded to a 10-bit mantissa), which made
    the GPU CNN rows compare minidl's float32 with a cheaper format; its matrix products are
    float32 by default, and stay so."""
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False


def build_mlp(params, device='cpu'):
    sizes = [params['0.weight'].shape[1]] + [params[f'{2 * i}.weight'].shape[0] for i in range(len(params) // 2)]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return _load(torch.nn.Sequential(*layers), params, device)


def build_cnn(params, device='cpu'):
    c1, c2 = params['0.weight'].shape[0], params['3.weight'].shape[0]
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, c1, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(c1, c2, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(params['7.weight'].shape[1], params['7.weight'].shape[0]))
    return _load(model, params, device)


def make_step(model, x, y, lr=0.01):
    """A closure running one SGD training step on (x, y) (numpy arrays, moved to the model's device)."""
    device = next(model.parameters()).device
    xt = torch.from_numpy(x).to(device)
    yt = torch.from_numpy(y.astype(np.int64)).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=lr)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        return loss
    return step


def sync_for(device):
    if device == 'cuda':
        return torch.cuda.synchronize
    return None
