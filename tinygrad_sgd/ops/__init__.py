"""Differentiable primitives, one small class each, grouped by kind — and only those.

Each class states its math as attributes (``rule``, ``derivatives``, ``inputs``: the drawings
and the explainer read them) and has a ``forward`` in NumPy and a ``backward`` written with
Tensor operations. Anything clever for speed is a named kernel in :mod:`tinygrad_sgd.kernels`.
Compound operations (``mean``, ``min``, ``stack``, ...) are built from these in
:mod:`tinygrad_sgd.functions`, so only primitives need a backward.

An op whose name an ``nn`` layer also has carries the suffix ``Op`` (``ReLUOp``, ``Conv2dOp``);
its ``grad_fn`` keeps torch's name (``ReLUBackward``). A backward computed as a node of its
own (differentiable again, for second order) is named ``<Op>Grad``.
"""
from .elementwise import (Add, Sub, Mul, Div, Neg, Pow, PowScalar, Exp, Log, Sqrt, Abs, Clamp,
                          Where, Cast)
from .activation import (ReLUOp, SigmoidOp, SigmoidGrad, TanhOp, TanhGrad, Softplus, SoftmaxOp,
                         LogSoftmaxOp)
from .reduce import Sum, Max, MaxDim, ArgMax
from .shape import Reshape, Permute, Expand, GetItem, IndexAdd, Cat
from .linalg import MatMul, LinearOp, LinearWeightGrad
from .conv import Conv2dOp, Conv2dInputGrad, Conv2dWeightGrad
from .pool import MaxPool2dOp, MaxPool2dGrad, MaxPool2dGradGrad, AvgPool2dOp, AvgPool2dGrad
from .loss import NllLoss, BinaryCrossEntropy, MseLoss, MseLossGrad

__all__ = ["Add", "Sub", "Mul", "Div", "Neg", "Pow", "PowScalar", "Exp", "Log", "Sqrt", "Abs",
           "Clamp", "Where", "Cast", "ReLUOp", "SigmoidOp", "SigmoidGrad", "TanhOp", "TanhGrad",
           "Softplus", "SoftmaxOp", "LogSoftmaxOp", "Sum", "Max", "MaxDim", "ArgMax",
           "Reshape", "Permute", "Expand", "GetItem", "IndexAdd", "Cat", "MatMul", "LinearOp",
           "LinearWeightGrad", "Conv2dOp", "Conv2dInputGrad", "Conv2dWeightGrad",
           "MaxPool2dOp", "MaxPool2dGrad", "MaxPool2dGradGrad", "AvgPool2dOp", "AvgPool2dGrad",
           "NllLoss", "BinaryCrossEntropy", "MseLoss", "MseLossGrad"]
