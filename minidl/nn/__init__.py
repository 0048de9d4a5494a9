"""Neural-network building blocks: Module, Parameter, layers, losses, initializers."""
from .parameter import Parameter, apply_constraint
