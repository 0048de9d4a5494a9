"""Neural-network building blocks: Module, Parameter, layers, losses, initializers.

    module       Module, Sequential, ModuleList, ModuleDict, Identity, Flatten
    linear       Linear                       conv      Conv2d
    pooling      MaxPool2d, AvgPool2d, AdaptiveAvgPool2d
    activation   ReLU, LeakyReLU, PReLU, ELU, SELU, GELU, SiLU, Softplus, Sigmoid, Tanh, ...
    loss         CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss, ...
    init         initializers (kaiming_normal_, xavier_uniform_, orthogonal_, ...)
    functional   the same operations as functions (``import minidl.nn.functional as F``)
"""
from . import functional, init
from .activation import (ELU, GELU, SELU, Hardtanh, LeakyReLU, LogSoftmax, PReLU, ReLU, Sigmoid, SiLU,
                         Softmax, Softplus, Tanh)
from .conv import Conv2d
from .linear import Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss,
                   NLLLoss, SmoothL1Loss)
from .module import Flatten, Identity, Module, ModuleDict, ModuleList, Sequential
from .parameter import Parameter, apply_constraint
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .dropout import Dropout, Dropout2d
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
