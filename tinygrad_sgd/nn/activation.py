"""Activation layers: each forwards to the function of the same name in
:mod:`tinygrad_sgd.nn.functional`."""
from . import functional as F
from .module import Module

__all__ = ["ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax"]


class ReLU(Module):
    def forward(self, x):
        return F.relu(x)


class Sigmoid(Module):
    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return F.tanh(x)


class _AlongDim(Module):
    """A layer that normalises along one dim (shared by Softmax and LogSoftmax)."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    def forward(self, x):
        return F.softmax(x, self.dim)


class LogSoftmax(_AlongDim):
    def forward(self, x):
        return F.log_softmax(x, self.dim)
