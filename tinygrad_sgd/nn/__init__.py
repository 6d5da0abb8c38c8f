"""Neural-network building blocks, shaped like ``torch.nn``.

* :mod:`.module` — ``Module`` (parameter/submodule registration, ``state_dict``, train/eval)
  and ``Parameter``;
* layers, one file per kind as in torch: :mod:`.linear` (Linear, Identity, Flatten),
  :mod:`.conv`, :mod:`.pooling`, :mod:`.dropout`, :mod:`.activation`, :mod:`.container`;
* :mod:`.losses` — loss Modules (NLLLoss, CrossEntropyLoss, BCELoss, ...);
* :mod:`.functional` — the same as plain functions (``import tinygrad_sgd.nn.functional as F``);
* :mod:`.init` — weight initialisation (kaiming, xavier, ...).
"""
from . import functional, init
from . import utils
from .module import Module, Parameter, IncompatibleKeys
from .linear import Linear, Identity, Flatten
from .conv import Conv2d
from .pooling import MaxPool2d, AvgPool2d
from .dropout import Dropout
from .activation import ReLU, Sigmoid, Tanh, Softmax, LogSoftmax
from .container import Sequential
from .losses import (NLLLoss, CrossEntropyLoss, BCELoss, BCEWithLogitsLoss, MSELoss,
                     HingeEmbeddingLoss)

__all__ = ["functional", "init", "utils", "Module", "Parameter", "IncompatibleKeys",
           "Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "Dropout", "ReLU", "Sigmoid", "Tanh",
           "Softmax", "LogSoftmax", "Flatten", "Identity", "Sequential",
           "NLLLoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss", "MSELoss",
           "HingeEmbeddingLoss"]
