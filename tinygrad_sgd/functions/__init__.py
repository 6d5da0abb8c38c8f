"""The public functions: torch's top-level functions (``tinygrad_sgd.exp(x)``), each also a
Tensor method (``x.exp()``) — one definition serves both, marked ``@tensor_method``.

Each is a thin call into one primitive of :mod:`tinygrad_sgd.ops` (where the backward is), or
a short composition of them (``mean = sum / n``, ``stack = unsqueeze + cat``): from a public
function to its backward formula is one jump.
"""
from .elementwise import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .scan import *  # noqa: F401,F403
from .sort import *  # noqa: F401,F403
from .sort import __all__ as _sort_all  # (the name ``sort`` is the function's)
from .shape import *  # noqa: F401,F403
from .memory_formats import *  # noqa: F401,F403  (clone, contiguous, channels_last, ...)
from .linalg import *  # noqa: F401,F403
from .index import *  # noqa: F401,F403
from .scatter_gather import *  # noqa: F401,F403
from .random import *  # noqa: F401,F403
from .math import *  # noqa: F401,F403
from .products import *  # noqa: F401,F403
from .einsum_equation import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .special import *  # noqa: F401,F403
from .special_more import *  # noqa: F401,F403  (igamma, igammac)
from .combine import *  # noqa: F401,F403
from .searches import *  # noqa: F401,F403
from .misc import *  # noqa: F401,F403
from .matrix import *  # noqa: F401,F403
from .statistics import *  # noqa: F401,F403
from .integrate import *  # noqa: F401,F403
from .build import *  # noqa: F401,F403
from .nn_forms import *  # noqa: F401,F403  (torch.conv2d, torch.dropout, ...)
from . import (elementwise, activation, reduce, scan, shape, memory_formats, linalg, index,
               scatter_gather,
               math, random, products, einsum_equation, distance, special, special_more,
               combine, searches, misc,
               statistics, integrate, build, nn_forms, matrix)
from . import conversion  # noqa: F401  (to, float, cpu, type, view_as ...)
from . import inplace  # noqa: F401  (attaches add_, __iadd__, ... to Tensor)
from . import inplace_more  # (more in-place methods: relu_, t_, eq_, ...; torch.exp_(x) ...)
from .inplace_more import *  # noqa: F401,F403
from .scatter_more import *  # noqa: F401,F403  (index_put, put, index_reduce, *_scatter)
from .copies import *  # noqa: F401,F403  (*_copy, split_with_sizes, conj, is_signed, ...)
from .windows import *  # noqa: F401,F403  (hann_window, kaiser_window, ...)
from .creation_more import *  # noqa: F401,F403  (scalar_tensor, asarray, empty_strided)
from .histograms import *  # noqa: F401,F403
from .interop import *  # noqa: F401,F403  (frombuffer, from_dlpack, range, nuclear_norm, ...)
from .numeric_gradient import *  # noqa: F401,F403  (torch.gradient)
from .strided import *  # noqa: F401,F403  (as_strided)
from .lowrank import *  # noqa: F401,F403  (svd_lowrank, pca_lowrank)
from .lu_forms import *  # noqa: F401,F403  (torch.lu, lu_unpack, lu_solve, geqrf, ...)
from . import (scatter_more, copies, windows, creation_more, histograms, interop,
               numeric_gradient, lu_forms, strided, lowrank)
from . import random_more  # noqa: F401  (attaches cauchy_, geometric_, log_normal_)
from . import resize  # noqa: F401  (attaches resize_, resize_as_, resize)
from .elementwise import as_operand  # noqa: F401  (used by Tensor's operators)
from .shape import getitem  # noqa: F401

__all__ = (elementwise.__all__ + activation.__all__ + reduce.__all__ + scan.__all__
           + _sort_all + shape.__all__ + memory_formats.__all__
           + linalg.__all__ + index.__all__ + scatter_gather.__all__ + math.__all__
           + random.__all__ + products.__all__ + einsum_equation.__all__ + distance.__all__
           + special.__all__ + combine.__all__ + searches.__all__ + misc.__all__ + matrix.__all__
           + special_more.__all__ + statistics.__all__ + integrate.__all__ + build.__all__ + nn_forms.__all__
           + inplace_more.__all__)
__all__ += (scatter_more.__all__ + copies.__all__ + windows.__all__ + creation_more.__all__
            + histograms.__all__ + interop.__all__ + numeric_gradient.__all__)
__all__ += lu_forms.__all__
__all__ += strided.__all__
__all__ += lowrank.__all__
from . import tensor_attributes  # noqa: F401  (is_meta, ..., output_nr, dim_order, grad_dtype)
from .resize import resize_as_  # noqa: F401,E402  (torch.resize_as_)
__all__ += resize.__all__
from . import nn_native
from .nn_native import *  # noqa: F401,F403,E402  (torch.convolution, native_*, lstm_cell, ...)
__all__ += nn_native.__all__
from . import recurrent
from .recurrent import *  # noqa: F401,F403,E402  (torch.lstm, gru, rnn_tanh, rnn_relu)
__all__ += recurrent.__all__
from . import control_flow, removed
from .control_flow import *  # noqa: F401,F403,E402  (torch.cond, torch.while_loop)
from .removed import *  # noqa: F401,F403,E402  (torch.solve & co: removed; is_distributed)
__all__ += control_flow.__all__ + removed.__all__
from .segment import segment_reduce  # noqa: F401,E402  (torch.segment_reduce)
__all__ += ["segment_reduce"]
