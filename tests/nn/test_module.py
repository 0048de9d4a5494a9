import copy

import numpy
import pytest

import minidl
from minidl import nn
from minidl.nn import Parameter


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2, bias=False)
        self.register_buffer('steps', minidl.zeros(()))
        self.scale = 2.0

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def test_registration_order_and_names():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ['fc1.weight', 'fc1.bias', 'fc2.weight']
    assert [n for n, _ in net.named_children()] == ['fc1', 'act', 'fc2']
    assert [n for n, _ in net.named_modules()] == ['', 'fc1', 'act', 'fc2']
    assert [n for n, _ in net.named_buffers()] == ['steps']
    assert net.fc2.bias is None and 'scale' not in net._parameters
    assert list(net.state_dict()) == ['steps', 'fc1.weight', 'fc1.bias', 'fc2.weight']   # as PyTorch


def test_shared_parameter_is_listed_once_and_a_registered_name_keeps_its_kind():
    net = Net()
    net.fc3 = net.fc1
    assert len(list(net.parameters())) == 3
    with pytest.raises(TypeError, match="cannot assign a int as the child module 'fc3'"):
        net.fc3 = 5                                        # it used to drop the module silently
    net.fc3 = None
    assert 'fc3' in net._modules and net.fc3 is None
    del net.fc3
    net.fc3 = 5                                            # a plain attribute once the name is free
    assert net.fc3 == 5 and 'fc3' not in net._modules
    with pytest.raises(TypeError, match="parameter 'weight'"):
        net.fc1.weight = minidl.zeros(4, 3)


def test_reassigning_a_registered_name_keeps_its_place():
    layers = nn.ModuleList([nn.Linear(2, 3), nn.ReLU(), nn.Tanh()])
    layers[0] = nn.Sigmoid()
    assert [type(m).__name__ for m in layers] == ['Sigmoid', 'ReLU', 'Tanh']
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Tanh())
    setattr(seq, '0', nn.Identity())
    assert [type(m).__name__ for m in seq] == ['Identity', 'ReLU', 'Tanh']
    layer = nn.Linear(3, 2)
    layer.weight = Parameter(minidl.zeros(2, 3))            # weight tying or a new weight
    assert [name for name, _ in layer.named_parameters()] == ['weight', 'bias']


def test_containers_refuse_what_is_not_a_module_and_names_are_checked():
    with pytest.raises(TypeError, match="Sequential: '1' must be a Module, got function"):
        nn.Sequential(nn.Linear(2, 2), lambda x: x * 0)    # it used to be dropped from forward
    with pytest.raises(TypeError, match="ModuleList: '1' must be a Module, got int"):
        nn.ModuleList([nn.ReLU()]).append(3)
    layer = nn.Linear(2, 2)
    with pytest.raises(KeyError, match="non-empty and without '.'"):
        layer.register_parameter('a.b', Parameter(minidl.zeros(1)))
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        layer.register_buffer('weight', minidl.zeros(1))
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        nn.ModuleDict({'training': nn.ReLU()})
    assert list(nn.Sequential({'a': nn.ReLU(), 'b': nn.Tanh()})._modules) == ['a', 'b']


def test_plain_attributes_may_come_before_super_init():
    class Early(nn.Module):
        def __init__(self):
            self.width = 3
            super().__init__()
            self.fc = nn.Linear(self.width, 1)

    assert Early().width == 3


def test_train_eval_propagate():
    net = Net()
    assert net.training and net.fc1.training
    net.eval()
    assert not net.training and not net.fc1.training
    net.train()
    assert net.act.training


def test_state_dict_round_trip_and_copy_semantics():
    a, b = Net(), Net()
    x = minidl.randn(5, 3)
    assert not numpy.allclose(a(x).numpy(), b(x).numpy())
    state = a.state_dict()
    a.fc1.weight.data += 1                          # a saved state is a copy
    assert not numpy.allclose(state['fc1.weight'].numpy(), a.fc1.weight.numpy())
    a.load_state_dict(state)
    b.load_state_dict({k: v.numpy() for k, v in state.items()})     # arrays work too
    numpy.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    assert b.fc1.weight.dtype == numpy.float32


def test_load_state_dict_reports_everything_and_changes_nothing():
    net = Net()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    bad = net.state_dict()
    del bad['fc1.bias']
    bad['fc9.weight'] = minidl.zeros(1)
    bad['fc2.weight'] = minidl.zeros(3, 3)
    bad['fc1.weight'] = minidl.ones(4, 3)
    with pytest.raises(ValueError) as error:
        net.load_state_dict(bad)
    message = str(error.value)
    assert 'missing keys: fc1.bias' in message and 'unexpected keys: fc9.weight' in message
    assert 'fc2.weight: checkpoint (3, 3) vs model (2, 4)' in message
    for k, v in net.state_dict().items():
        numpy.testing.assert_array_equal(v.numpy(), before[k])
    del bad['fc2.weight']
    missing, unexpected = net.load_state_dict(bad, strict=False)
    assert missing == ['fc1.bias', 'fc2.weight'] and unexpected == ['fc9.weight']
    assert float(net.fc1.weight.sum()) == 12.0



@pytest.mark.parametrize('value', [None, 'abc', numpy.array(['a', 'b']), numpy.array([1 + 2j, 3j]),
                                   numpy.array([object(), object()])])
def test_load_state_dict_refuses_values_that_are_not_numeric_arrays_before_writing(value):
    layer = nn.Linear(3, 2)
    before = {k: v.numpy().copy() for k, v in layer.state_dict().items()}
    bad = {'weight': numpy.full((2, 3), 7.0), 'bias': value}     # weight comes first and is fine
    with pytest.raises(ValueError, match=r"nothing was loaded:\n  not numeric arrays: bias: got"):
        layer.load_state_dict(bad)
    for k, v in layer.state_dict().items():
        numpy.testing.assert_array_equal(v.numpy(), before[k])
    layer.load_state_dict({'weight': numpy.full((2, 3), 7.0), 'bias': numpy.array([1, 0])})   # integers are cast
    assert layer.bias.dtype == numpy.float32 and layer.bias.tolist() == [1.0, 0.0]
    assert float(layer.weight.sum()) == 42.0

def test_to_double_keeps_parameter_identity_and_moves_grads():
    net = Net()
    weight = net.fc1.weight
    net(minidl.randn(2, 3)).sum().backward()
    net.double()
    assert net.fc1.weight is weight and weight.dtype == numpy.float64
    assert weight.grad.dtype == numpy.float64 and net.steps.dtype == numpy.float64
    assert net(minidl.randn(2, 3, dtype=minidl.float64)).dtype == numpy.float64
    net.float()
    assert weight.dtype == numpy.float32
    net.to(minidl.get_device())
    assert weight.device == minidl.get_device()


def test_zero_grad_and_grad_norms():
    net = Net()
    net(minidl.randn(4, 3)).sum().backward()
    norms = net.grad_norms()
    assert set(norms) == {'fc1.weight', 'fc1.bias', 'fc2.weight'}
    g = net.fc2.weight.grad.numpy()
    assert norms['fc2.weight'] == pytest.approx(float(numpy.sqrt((g * g).sum())))
    net.fc1.weight.grad.data[0, 0] = float('nan')
    net.zero_grad(set_to_none=False)
    assert float(net.fc1.weight.grad.abs().sum()) == 0.0
    net.zero_grad()
    assert net.fc1.weight.grad is None and net.grad_norms() == {}


def test_regularization_loss_and_constraints():
    net = Net()
    assert float(net.regularization_loss()) == 0.0
    net.fc1.weight.regularizer = lambda w: 0.5 * (w * w).sum()
    net.fc2.weight.regularizer = lambda w: w.abs().sum()
    expected = 0.5 * (net.fc1.weight.numpy() ** 2).sum() + numpy.abs(net.fc2.weight.numpy()).sum()
    loss = net.regularization_loss()
    assert float(loss) == pytest.approx(float(expected), rel=1e-5)
    loss.backward()
    numpy.testing.assert_allclose(net.fc1.weight.grad.numpy(), net.fc1.weight.numpy())
    net.fc1.bias.constraint = lambda b: b.clamp(min=0.0)
    net.apply_constraints()
    assert float(net.fc1.bias.min()) >= 0.0


def test_layer_arguments_store_regularizers_constraints_and_init():
    penalty, project = (lambda w: (w * w).sum()), (lambda w: w.clamp(-0.01, 0.01))
    layer = nn.Linear(3, 2, weight_init='zeros', weight_regularizer=penalty, bias_constraint=project)
    assert float(layer.weight.abs().sum()) == 0.0
    assert layer.weight.regularizer is penalty and layer.bias.constraint is project
    layer = nn.Linear(3, 2, weight_init=lambda w: nn.init.constant_(w, 0.25))
    assert layer.weight.tolist() == [[0.25] * 3] * 2
    with pytest.raises(ValueError, match='unknown initializer'):
        nn.Linear(3, 2, weight_init='kaiming_wrong')


def test_default_init_is_pytorchs():
    layer = nn.Linear(400, 300)
    bound = 1 / numpy.sqrt(400)
    for p in (layer.weight, layer.bias):
        values = p.numpy()
        assert numpy.abs(values).max() <= bound and numpy.abs(values).max() > 0.95 * bound
    assert layer.weight.numpy().std() == pytest.approx(bound / numpy.sqrt(3), rel=0.02)


def test_apply_and_repr():
    net = Net()
    visited = []
    net.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ['Linear', 'ReLU', 'Linear', 'Net']
    text = repr(net)
    assert text.startswith('Net(  # 24 parameters')
    assert '(fc1): Linear(in_features=3, out_features=4, bias=True)  # 16 parameters' in text
    assert '(act): ReLU()' in text


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
    seq.append(nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and len(seq[:2]) == 2
    assert seq(minidl.randn(4, 2)).shape == (4, 1)
    layers = nn.ModuleList([nn.Linear(2, 2)])
    layers.append(nn.Linear(2, 3))
    layers.insert(0, nn.Identity())
    assert [type(m).__name__ for m in layers] == ['Identity', 'Linear', 'Linear']
    assert len(list(layers.parameters())) == 4
    heads = nn.ModuleDict({'a': nn.Linear(2, 1)})
    heads['b'] = nn.Linear(2, 5)
    assert 'b' in heads and list(heads) == ['a', 'b']
    assert [n for n, _ in heads.named_parameters()] == ['a.weight', 'a.bias', 'b.weight', 'b.bias']
    assert nn.Flatten()(minidl.zeros(2, 3, 4)).shape == (2, 12)
    assert nn.Flatten(0, 1)(minidl.zeros(2, 3, 4)).shape == (6, 4)


def test_linear_error_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Linear\(in_features=784, out_features=10, bias=True\): got "
                                         r"input of shape \(32, 28, 28\), expected \(\*, 784\)"):
        nn.Linear(784, 10)(minidl.zeros(32, 28, 28))


def test_forgetting_super_init_is_explained():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)
    with pytest.raises(AttributeError, match='super'):
        Broken()


def test_parameters_are_parameters():
    assert all(isinstance(p, Parameter) for p in Net().parameters())


def test_deepcopy_gives_independent_parameters():
    net = Net()
    twin = copy.deepcopy(net)
    assert twin.fc1.weight is not net.fc1.weight
    numpy.testing.assert_array_equal(twin.fc1.weight.numpy(), net.fc1.weight.numpy())
    twin.fc1.weight.data += 1
    assert not numpy.allclose(twin.fc1.weight.numpy(), net.fc1.weight.numpy())


def test_train_goes_through_each_childs_own_train_and_children_are_listed_once():
    class FrozenNorm(nn.Module):                  # keeps its BatchNorm in eval mode, a common override
        def __init__(self):
            super().__init__()
            self.norm = nn.BatchNorm1d(3)

        def train(self, mode=True):
            super().train(mode)
            self.norm.eval()
            return self

    net = nn.Sequential(nn.Linear(3, 3), FrozenNorm())
    net.train()
    assert net.training and net[0].training and net[1].training and not net[1].norm.training
    with pytest.raises(ValueError, match='train: mode must be a bool'):
        net.train('no')
    shared = nn.ReLU()
    assert len(list(nn.Sequential(shared, shared, nn.Tanh()).children())) == 2


def test_zero_grad_without_set_to_none_zeroes_in_place():
    layer = nn.Linear(2, 1)
    layer(minidl.ones(1, 2)).sum().backward()
    grad = layer.weight.grad
    layer.zero_grad(set_to_none=False)
    assert layer.weight.grad is grad and grad.tolist() == [[0.0, 0.0]]
