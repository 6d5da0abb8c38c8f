"""Differentiable primitives, one small class each, grouped by kind.

Each class's docstring states its forward and the math of its backward. Compound operations
(``mean``, ``min``, ``stack``, ...) are built from these in ``tensor.py`` so only primitives
need a backward.
"""
from .elementwise import (Add, Sub, Mul, Div, Neg, Pow, PowScalar, Exp, Log, Sqrt, Abs, Clamp,
                          Where, Cast)
from .activation import ReLU, Sigmoid, Tanh, Softmax, LogSoftmax
from .reduce import Sum, SumToShape, Max, MaxDim, ArgMax
from .shape import Reshape, Permute, Expand, GetItem, IndexAdd, Cat
from .linalg import MatMul, Linear, LinearWeightGrad

__all__ = ["Add", "Sub", "Mul", "Div", "Neg", "Pow", "PowScalar", "Exp", "Log", "Sqrt", "Abs",
           "Clamp", "Where", "Cast", "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Sum",
           "SumToShape", "Max", "MaxDim", "ArgMax", "Reshape", "Permute", "Expand", "GetItem",
           "IndexAdd", "Cat", "MatMul", "Linear", "LinearWeightGrad"]
