"""Neural-network building blocks: Module, Parameter, layers, losses, initializers."""
from . import functional, init
from .activation import ReLU, Sigmoid, Tanh
from .linear import Linear
from .module import Flatten, Identity, Module, ModuleDict, ModuleList, Sequential
from .parameter import Parameter, apply_constraint
