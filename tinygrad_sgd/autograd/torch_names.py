"""torch's names of graph nodes, for a torch program run by :mod:`tinygrad_sgd.as_torch`.

The library names a node after its op class: ``MulBackward``, ``ReLUBackward``,
``GetItemBackward`` (:meth:`Function.name`). torch names it after the ATen function that made
it, with the number of that function's overload: ``MulBackward0``, ``ReluBackward0``, and ``x[0]``
is a ``SelectBackward0``, ``x[1:]`` a ``SliceBackward0``, ``x.sum(0)`` a ``SumBackward1``,
``x.mean()`` (a sum divided here) a ``MeanBackward0``. A torch program prints these names
(``tensor(2.3, grad_fn=<NllLossBackward0>)``), so while the as_torch runner runs one, nodes
answer with torch's name:

1. the name the public function that made the node gave it (:func:`named`: ``mean``,
   ``getitem``, ``view``, ``t``, ``linear``... know what torch calls the result);
2. else the name of the op class in :data:`TORCH_NAMES`;
3. else, for a custom ``autograd.Function``, its class name + "Backward", as torch;
4. else the library's name + "0" (``Mul`` → ``MulBackward0``: most ops have one overload).
"""
import numbers

import numpy as np

from .grad_mode import _mode

__all__ = ["TORCH_NAMES", "torch_mode", "torch_name", "named", "getitem_name", "reshape_name"]

# op class → torch's node name, where "library name + 0" is not it
TORCH_NAMES = {
    "PowScalar": "PowBackward0", "Pow": "PowBackward1",
    "ReLUOp": "ReluBackward0", "Log1p": "Log1PBackward0", "LogSumExp": "LogsumexpBackward0",
    "CumSum": "CumsumBackward0", "CumProd": "CumprodBackward0", "CumMax": "CummaxBackward0",
    "CumMin": "CumminBackward0", "LogCumSumExp": "LogcumsumexpBackward0",
    "Cast": "ToCopyBackward0", "Reshape": "ViewBackward0",
    "Max": "MaxBackward1", "MaxDim": "MaxBackward0", "Min": "MinBackward1",
    "MinDim": "MinBackward0", "Clamp": "ClampBackward1", "ClampTensor": "ClampBackward0",
    "Norm": "LinalgVectorNormBackward0", "DivRounded": "DivBackward2",
    "Conv2dOp": "ConvolutionBackward0", "ConvTranspose2dOp": "ConvolutionBackward0",
    "MaxPool2dOp": "MaxPool2DWithIndicesBackward0", "AvgPool2dOp": "AvgPool2DBackward0",
    "AdaptiveMaxPool2dOp": "AdaptiveMaxPool2DBackward0",
    "Outer": "MulBackward0", "MatMul": "MmBackward0", "LinearOp": "AddmmBackward0",
    "Normalize": "NativeLayerNormBackward0", "CopySlices": "torch::autograd::CopySlices",
    "CopyFrom": "torch::autograd::CopyBackwards", "NanToZero": "NansumBackward0",
    "Median": "MedianBackward1", "NanMedian": "NanmedianBackward1",
    "FloorDivide": "torch::autograd::NotImplemented",      # (torch has no derivative for //)
    "RemainderOfNumber": "torch::autograd::NotImplemented",
    "Heaviside": "torch::autograd::NotImplemented",
    "HouseholderIdentity": "LinalgHouseholderProductBackward0",
    "NoDerivative": "torch::autograd::NotImplemented",
}


def torch_mode():
    """Whether a torch program is being run (the as_torch runner names things as torch)."""
    return _options().namespace == "torch"


def _options():
    global _OPTIONS
    if _OPTIONS is None:
        from ..printing import OPTIONS
        _OPTIONS = OPTIONS
    return _OPTIONS


_OPTIONS = None


def torch_name(cls, node=None):
    """torch's name for a node of op class ``cls`` (``node``: the node itself, if any)."""
    if node is not None:
        given = node.__dict__.get("torch_grad_fn")
        if given is not None:
            return given
    if cls.__name__ in TORCH_NAMES:
        return TORCH_NAMES[cls.__name__]
    library = cls.grad_fn_name or cls.__name__ + "Backward"
    return library if getattr(cls, "_torch_forward", None) is not None else library + "0"


def named(out, name, *inputs):
    """Tell ``out``'s node (if it has one of its own, not an input's) the name torch gives
    it (only while a torch program runs: the name is not needed otherwise); returns
    ``out``."""
    if _mode.profiler is not None:          # torch.profiler records: the op's row is renamed
        _mode.profiler.renamed(out, name, inputs)
    if _options().namespace != "torch":
        return out
    node = getattr(out, "grad_fn", None)
    if node is not None and all(node is not getattr(t, "grad_fn", None) for t in inputs):
        node.torch_grad_fn = name
    return out


def getitem_name(index):
    """torch's node for ``x[index]``: an index array anywhere makes an ``IndexBackward0``;
    else the last of the basic steps torch takes in turn (an int selects, a slice other than
    ``:`` slices, None unsqueezes; ``x[...]`` is an alias)."""
    items = index if isinstance(index, tuple) else (index,)
    last = "AliasBackward0"
    for i in items:
        if i is None:
            last = "UnsqueezeBackward0"
        elif isinstance(i, slice):
            if len(items) == 1 or i != slice(None):
                last = "SliceBackward0"
        elif i is Ellipsis:
            continue
        elif isinstance(i, bool):
            return "IndexBackward0"
        elif isinstance(i, numbers.Integral):
            last = "SelectBackward0"
        else:                            # a tensor, array, list or range
            a = np.asarray(getattr(i, "array", i))
            if a.ndim > 0 or a.dtype.kind not in "iu":
                return "IndexBackward0"
            last = "SelectBackward0"
    return last


def reshape_name(input):
    """``view``/``reshape``/``flatten``: a view of contiguous memory, else (reshape's copy) an
    ``UnsafeViewBackward0``."""
    array = input.array
    return "ViewBackward0" if array.flags.c_contiguous else "UnsafeViewBackward0"
