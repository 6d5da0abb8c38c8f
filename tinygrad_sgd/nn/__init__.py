"""Neural-network building blocks, shaped like ``torch.nn``.

* :mod:`.module` — ``Module`` (parameter/submodule registration, ``state_dict``, train/eval)
  and ``Parameter``;
* layers, one file per kind as in torch: :mod:`.linear` (Linear, Identity, Flatten,
  Unflatten), :mod:`.conv`, :mod:`.pooling`, :mod:`.dropout`, :mod:`.activation`,
  :mod:`.normalization` (LayerNorm, RMSNorm, BatchNorm, GroupNorm, LocalResponseNorm),
  :mod:`.instancenorm`, :mod:`.pixelshuffle`, :mod:`.channelshuffle`, :mod:`.sparse` (Embedding),
  :mod:`.container` (Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict);
* :mod:`.lazy` — LazyLinear, LazyConv*, LazyConvTranspose*, LazyBatchNorm*, LazyInstanceNorm*
  (their input size read from the first input) and the UninitializedParameter/Buffer
  placeholders;
* :mod:`.losses` — loss Modules (NLLLoss, CrossEntropyLoss, BCELoss, ...);
  :mod:`.linear_cross_entropy` — LinearCrossEntropyLoss (a Linear layer and cross entropy);
* :mod:`.functional` — the same as plain functions (``import tinygrad_sgd.nn.functional as F``);
* :mod:`.init` — weight initialisation (kaiming, xavier, ...);
* :mod:`.syncbatchnorm` — SyncBatchNorm (one process: batch norm, as torch's fallback);
* :mod:`.parallel` — DataParallel (no accelerator: it runs the module, as torch's does);
* :mod:`.modules` — torch's paths to the same classes (``nn.modules.conv.Conv2d``).
"""
from . import functional, init
from . import utils
from .module import Module, Parameter, Buffer, IncompatibleKeys
from .linear import Linear, Identity, Flatten, Unflatten, Bilinear
from .conv import (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d,
                   Fold, Unfold)
from .pooling import (MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d,
                      AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, MaxUnpool1d,
                      MaxUnpool2d, MaxPool3d, AvgPool3d, AdaptiveAvgPool3d, AdaptiveMaxPool3d,
                      MaxUnpool3d, LPPool1d, LPPool2d, LPPool3d)
from .upsampling import Upsample, UpsamplingNearest2d, UpsamplingBilinear2d
from .padding import (ZeroPad1d, ZeroPad2d, ConstantPad1d, ConstantPad2d, ReflectionPad1d,
                      ReflectionPad2d, ReplicationPad1d, ReplicationPad2d, CircularPad1d,
                      CircularPad2d, ZeroPad3d, ConstantPad3d, ReflectionPad3d,
                      ReplicationPad3d, CircularPad3d)
from .dropout import (Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout,
                      FeatureAlphaDropout)
from .activation import (ReLU, Sigmoid, Tanh, Softmax, LogSoftmax, GELU, SiLU, LeakyReLU, ELU,
                         SELU, CELU, Softplus, Hardtanh, ReLU6, Mish, Hardswish, Hardsigmoid,
                         LogSigmoid, Softsign, PReLU, GLU, Softmin, Hardshrink, Softshrink,
                         Tanhshrink, Threshold, RReLU, Softmax2d)
from .normalization import (LayerNorm, RMSNorm, BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm,
                            LocalResponseNorm)
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .syncbatchnorm import SyncBatchNorm
from .pixelshuffle import PixelShuffle, PixelUnshuffle
from .channelshuffle import ChannelShuffle
from .sparse import Embedding, EmbeddingBag
from .distance import *  # noqa: F401,F403  (CosineSimilarity, PairwiseDistance)
from . import distance as _distance
from .rnn import *  # noqa: F401,F403  (RNN, LSTM, GRU and their cells)
from .attention import MultiheadAttention
from .transformer import *  # noqa: F401,F403  (Transformer and its layers)
from .loss_ctc import *  # noqa: F401,F403  (CTCLoss)
from .pooling_more import *  # noqa: F401,F403  (FractionalMaxPool2d/3d)
from .adaptive_softmax import *  # noqa: F401,F403  (AdaptiveLogSoftmaxWithLoss)
from . import grad  # noqa: F401  (nn.grad.conv2d_input, ...)
from . import parameter  # noqa: F401  (nn.parameter.Parameter, ...)
from . import pooling_more as _pooling_more, adaptive_softmax as _adaptive_softmax
from . import rnn as _rnn, attention as _attention, transformer as _transformer, loss_ctc as _loss_ctc
from .lazy import (UninitializedParameter, UninitializedBuffer, LazyLinear, LazyConv1d,
                   LazyConv2d, LazyConv3d, LazyConvTranspose1d, LazyConvTranspose2d,
                   LazyConvTranspose3d, LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d,
                   LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d)
from .container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
from .losses import (NLLLoss, NLLLoss2d, CrossEntropyLoss, BCELoss, BCEWithLogitsLoss, MSELoss,
                     HingeEmbeddingLoss, L1Loss, SmoothL1Loss, HuberLoss, KLDivLoss,
                     MarginRankingLoss, CosineEmbeddingLoss, TripletMarginLoss,
                     TripletMarginWithDistanceLoss, PoissonNLLLoss, GaussianNLLLoss,
                     SoftMarginLoss, MultiMarginLoss, MultiLabelMarginLoss,
                     MultiLabelSoftMarginLoss)
from .linear_cross_entropy import LinearCrossEntropyLoss, LinearCrossEntropyOptions

__all__ = ["functional", "init", "utils", "Module", "Parameter", "Buffer", "IncompatibleKeys",
           "Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "Dropout", "ReLU", "Sigmoid", "Tanh",
           "Softmax", "LogSoftmax", "Flatten", "Unflatten", "Identity", "Dropout2d",
           "GELU", "SiLU", "LeakyReLU", "ELU", "SELU", "CELU", "Softplus", "Hardtanh", "ReLU6",
           "Mish", "Hardswish", "Hardsigmoid", "LogSigmoid", "Softsign", "PReLU", "GLU",
           "Softmin", "LayerNorm", "RMSNorm", "BatchNorm1d", "BatchNorm2d", "Embedding",
           "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
           "NLLLoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss", "MSELoss",
           "HingeEmbeddingLoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss",
           "MarginRankingLoss", "CosineEmbeddingLoss"]
__all__ += ["Conv1d", "ConvTranspose1d", "ConvTranspose2d", "Fold", "Unfold", "MaxPool1d",
            "AvgPool1d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d",
            "AdaptiveMaxPool2d", "MaxUnpool1d", "MaxUnpool2d", "Upsample", "UpsamplingNearest2d",
            "UpsamplingBilinear2d", "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d",
            "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d",
            "CircularPad1d", "CircularPad2d"]
__all__ += ["Dropout1d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "Hardshrink",
            "Softshrink", "Tanhshrink", "Threshold", "RReLU", "Softmax2d", "GroupNorm",
            "LocalResponseNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
            "PixelShuffle", "PixelUnshuffle", "ChannelShuffle", "TripletMarginLoss",
            "TripletMarginWithDistanceLoss", "PoissonNLLLoss", "GaussianNLLLoss",
            "SoftMarginLoss", "MultiMarginLoss", "MultiLabelMarginLoss",
            "MultiLabelSoftMarginLoss"]
__all__ += _distance.__all__
__all__ += _rnn.__all__ + ["MultiheadAttention"] + _transformer.__all__
__all__ += ["Conv3d", "ConvTranspose3d", "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d",
            "AdaptiveMaxPool3d", "MaxUnpool3d", "LPPool1d", "LPPool2d", "LPPool3d", "BatchNorm3d",
            "ZeroPad3d", "ConstantPad3d", "ReflectionPad3d", "ReplicationPad3d", "CircularPad3d",
            "UninitializedParameter", "UninitializedBuffer", "LazyLinear", "LazyConv1d",
            "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
            "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
            "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]
__all__ += ["Bilinear", "EmbeddingBag"] + _loss_ctc.__all__
__all__ += _pooling_more.__all__ + _adaptive_softmax.__all__ + ["grad"]
__all__ += ["SyncBatchNorm", "modules", "LinearCrossEntropyLoss", "LinearCrossEntropyOptions",
            "NLLLoss2d"]
from . import modules  # noqa: E402,F401  (torch's paths: nn.modules.conv.Conv2d, ...)
from . import parallel  # noqa: E402  (nn.parallel.DataParallel)
from .parallel import DataParallel  # noqa: E402
__all__ += ["parallel", "DataParallel"]
