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
from .elementwise import (Add, Sub, Mul, Div, AddScaled, SubScaled, MulHalfByScalar,
                          DivHalfByScalar, Neg,
                          PowScalar, Pow, Exp, Log, Sqrt, Abs, Clamp, ClampTensor, Maximum,
                          Minimum, Fmax, Fmin, Remainder, Fmod, DivRounded, FloorDivide, Where,
                          Cast, ZerosLike, RemainderOfNumber, Heaviside)
from .math import (Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh, Log2,
                   Log10, Log1p, Expm1, Exp2, Rsqrt, Reciprocal, Frac, Step, Floor, Ceil,
                   Trunc, Round, Sign, Sgn, NanToNum, Atan2, Hypot, Copysign, Logaddexp, Lerp,
                   Frexp)
from .activation import (ReLUOp, SigmoidOp, SigmoidGrad, TanhOp, TanhGrad, SoftplusOp,
                         Softplus, HardtanhOp, HardsigmoidOp, HardswishOp, SiluOp, GELUOp, GeluGrad,
                         LogSigmoidOp)
from .softmax import SoftmaxOp, LogSoftmaxOp
from .reduce import (Sum, Prod, Max, Min, Amax, Amin, Selection, MaxDim, MinDim, ArgMax,
                     ArgMin, LogSumExp, Var, Std, Norm)
from .scan import (CumSum, CumProd, LogCumSumExp, CumMaxIndices, CumMinIndices, CumMax, CumMin)
from .sort import (ArgSort, TopKIndices, KthValueIndex, MedianIndex, ModeIndex, Sort, TopK,
                   KthValue, Median, NanMedian, Mode, MedianAll, NanMedianAll)
from .shape import (Reshape, Permute, Expand, Flip, Roll, Repeat, Clone, GetItem, IndexAdd,
                    Cat)
from .index import (Gather, IndexPut, ScatterReduce, Diagonal)
from .assign import (CopyFrom)
from .linalg import (MatMul, LinearOp, LinearWeightGrad)
from .conv import (Conv2dOp, Conv2dInputGrad, Conv2dWeightGrad, ConvTranspose2dOp, Im2Col,
                   Col2Im)
from .pool import (MaxPool2dOp, MaxPool2dGrad, MaxPool2dGradGrad, AvgPool2dOp, AvgPool2dGrad,
                   AdaptiveMaxPool2dOp)
from .pad import (ConstantPadNd)
from .resample import (Resample, ResampleGrad)
from .norm import (Normalize)
from .embedding import (EmbeddingOp, EmbeddingGrad)
from .loss import (NllLoss, BinaryCrossEntropy, BinaryCrossEntropyWithLogits, MseLoss,
                   MseLossGrad, SoftMarginLossOp, SoftMarginLossGrad)
from .dropout import (DropoutOp)
from .products import *  # noqa: F401,F403  (einsum, outer, bmm, ... : each file lists its ops)
from .distance import *  # noqa: F401,F403  (vector norms, cdist, cross)
from .special import *  # noqa: F401,F403  (erf, lgamma, ...)
from .decompositions import *  # noqa: F401,F403  (inv, det, solve, cholesky, qr, eigh, ...)
from .lu import *  # noqa: F401,F403  (LU, LDLᵀ, compact QR)
from .ctc import *  # noqa: F401,F403  (the CTC loss)
from .strided import *  # noqa: F401,F403  (as_strided)
from .segment import *  # noqa: F401,F403  (segment_reduce)
from .recurrent import *  # noqa: F401,F403  (fused LSTM and GRU cells)
from .special_more import *  # noqa: F401,F403  (igamma, igammac)
from .random import *  # noqa: F401,F403  (bernoulli, normal, poisson draws: derivative 0)
from . import (products as _products, distance as _distance, special as _special,
               decompositions as _decompositions, lu as _lu, ctc as _ctc, strided as _strided,
               recurrent as _recurrent, special_more as _special_more, random as _random)

__all__ = ["Add", "Sub", "Mul", "Div", "AddScaled", "SubScaled", "MulHalfByScalar", "DivHalfByScalar", "Neg", "PowScalar",
           "Pow", "Exp", "Log", "Sqrt", "Abs",
           "Clamp", "ClampTensor", "Maximum", "Minimum", "Fmax", "Fmin", "Remainder", "Fmod",
           "DivRounded", "FloorDivide", "Where", "Cast", "ZerosLike", "RemainderOfNumber",
           "Heaviside",
           "Sin", "Cos", "Tan", "Asin", "Acos",
           "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Log2", "Log10", "Log1p",
           "Expm1", "Exp2", "Rsqrt", "Reciprocal", "Frac", "Step", "Floor", "Ceil", "Trunc",
           "Round", "Sign", "Sgn", "NanToNum", "Atan2", "Hypot", "Copysign", "Logaddexp", "Lerp",
           "Frexp",
           "ReLUOp", "SigmoidOp", "SigmoidGrad", "TanhOp", "TanhGrad", "SoftplusOp",
           "Softplus", "HardtanhOp", "HardsigmoidOp", "HardswishOp", "SiluOp", "GELUOp", "GeluGrad",
           "LogSigmoidOp",
           "SoftmaxOp", "LogSoftmaxOp", "Sum", "Prod", "Max", "Min", "Amax", "Amin",
           "Selection", "MaxDim", "MinDim", "ArgMax", "ArgMin", "LogSumExp", "Var", "Std",
           "Norm", "CumSum", "CumProd", "LogCumSumExp", "CumMaxIndices", "CumMinIndices",
           "CumMax", "CumMin", "ArgSort", "TopKIndices", "KthValueIndex", "MedianIndex",
           "ModeIndex", "Sort", "TopK", "KthValue", "Median", "NanMedian", "Mode", "MedianAll",
           "NanMedianAll", "Reshape", "Permute", "Expand", "Flip", "Roll", "Repeat", "Clone",
           "GetItem", "IndexAdd", "Cat", "Gather", "IndexPut", "ScatterReduce", "Diagonal",
           "CopyFrom", "MatMul", "LinearOp", "LinearWeightGrad", "Conv2dOp", "Conv2dInputGrad",
           "Conv2dWeightGrad", "ConvTranspose2dOp", "Im2Col", "Col2Im", "MaxPool2dOp",
           "MaxPool2dGrad", "MaxPool2dGradGrad", "AvgPool2dOp", "AvgPool2dGrad",
           "AdaptiveMaxPool2dOp", "ConstantPadNd", "Resample", "ResampleGrad", "Normalize",
           "EmbeddingOp", "EmbeddingGrad", "NllLoss", "BinaryCrossEntropy",
           "BinaryCrossEntropyWithLogits", "MseLoss",
           "MseLossGrad"]
__all__ += ["DropoutOp"] + _products.__all__ + _distance.__all__ + _special.__all__
__all__ += _decompositions.__all__ + _lu.__all__ + _ctc.__all__ + _strided.__all__
__all__ += ["SegmentReduce"]
__all__ += _recurrent.__all__ + _special_more.__all__ + _random.__all__
