"""Reverse-mode automatic differentiation: Tensor, Function, the backward engine.

Read in this order: ``tensor.py`` (what a Tensor holds), ``function.py`` (how an op records
itself), ``engine.py`` (how backward walks the graph), ``gradcheck.py`` (how to check a
backward against finite differences).
"""
from .anomaly import detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, grade, gradcheck, gradgradcheck
from .tensor import Tensor
