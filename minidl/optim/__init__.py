"""Optimizers, learning-rate schedules and gradient clipping."""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD
from .clip import clip_grad_norm_, clip_grad_value_
