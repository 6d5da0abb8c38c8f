"""``nn.modules``: torch's paths to the layers — ``nn.modules.conv.Conv2d``,
``nn.modules.module.Module``, ``nn.modules.batchnorm._BatchNorm``, ... — for user code (and
checkpoint-loading code) that spells them so. Each submodule here is a namespace holding the
library's own classes (the same objects as ``nn.Conv2d``), listed in :data:`SUBMODULES` as
torch groups them; this package itself holds every one of them, as ``torch.nn.modules`` does.
A name torch has there and the library lacks is simply absent (an AttributeError).
"""
import sys
import types

from .. import (activation, adaptive_softmax, attention, channelshuffle, container, conv,
                distance, dropout, hooks, instancenorm, lazy, linear, linear_cross_entropy, loss_ctc,
                losses, module, normalization, padding, pixelshuffle, pooling, pooling_more,
                rnn, sparse, syncbatchnorm, transformer, upsampling)

__all__ = ["SUBMODULES"]

# torch's submodule -> (library module, names): torch's __all__ there plus the private base
# classes user code subclasses or checks with isinstance (_ConvNd, _BatchNorm, _Loss, ...)
SUBMODULES = {
    "module": [(module, ["Module"]),
               (hooks, ["RemovableHandle", "register_module_forward_pre_hook",
                        "register_module_forward_hook", "register_module_full_backward_pre_hook",
                        "register_module_full_backward_hook",
                        "register_module_module_registration_hook",
                        "register_module_parameter_registration_hook",
                        "register_module_buffer_registration_hook"])],
    "linear": [(linear, ["Bilinear", "Identity", "Linear"]), (lazy, ["LazyLinear"])],
    "conv": [(conv, ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
                     "ConvTranspose3d", "_ConvNd"]),
             (lazy, ["LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
                     "LazyConvTranspose2d", "LazyConvTranspose3d"])],
    "batchnorm": [(normalization, ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "_BatchNorm",
                                   "_NormBase"]),
                  (lazy, ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d"]),
                  (syncbatchnorm, ["SyncBatchNorm"])],
    "normalization": [(normalization, ["LocalResponseNorm", "LayerNorm", "GroupNorm",
                                       "RMSNorm"])],
    "instancenorm": [(instancenorm, ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
                                     "_InstanceNorm"]),
                     (lazy, ["LazyInstanceNorm1d", "LazyInstanceNorm2d",
                             "LazyInstanceNorm3d"])],
    "container": [(container, ["Sequential", "ModuleList", "ModuleDict", "ParameterList",
                               "ParameterDict"])],
    "activation": [(activation, ["Threshold", "ReLU", "RReLU", "Hardtanh", "ReLU6", "Sigmoid",
                                 "Hardsigmoid", "Tanh", "SiLU", "Mish", "Hardswish", "ELU",
                                 "CELU", "SELU", "GLU", "GELU", "Hardshrink", "LeakyReLU",
                                 "LogSigmoid", "Softplus", "Softshrink", "PReLU", "Softsign",
                                 "Tanhshrink", "Softmin", "Softmax", "Softmax2d",
                                 "LogSoftmax"]),
                   (attention, ["MultiheadAttention"])],
    "loss": [(losses, ["L1Loss", "NLLLoss", "NLLLoss2d", "PoissonNLLLoss", "GaussianNLLLoss",
                       "KLDivLoss", "MSELoss", "BCELoss", "BCEWithLogitsLoss", "HingeEmbeddingLoss",
                       "MultiLabelMarginLoss", "SmoothL1Loss", "HuberLoss", "SoftMarginLoss",
                       "CrossEntropyLoss", "MultiLabelSoftMarginLoss", "CosineEmbeddingLoss",
                       "MarginRankingLoss", "MultiMarginLoss", "TripletMarginLoss",
                       "TripletMarginWithDistanceLoss", "_Loss", "_WeightedLoss"]),
             (loss_ctc, ["CTCLoss"]),
             (linear_cross_entropy, ["LinearCrossEntropyLoss"])],
    "linear_cross_entropy_options": [(linear_cross_entropy, ["LinearCrossEntropyOptions"])],
    "pooling": [(pooling, ["MaxPool1d", "MaxPool2d", "MaxPool3d", "MaxUnpool1d", "MaxUnpool2d",
                           "MaxUnpool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "LPPool1d",
                           "LPPool2d", "LPPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
                           "AdaptiveMaxPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
                           "AdaptiveAvgPool3d"]),
                (pooling_more, ["FractionalMaxPool2d", "FractionalMaxPool3d"])],
    "dropout": [(dropout, ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                           "FeatureAlphaDropout", "_DropoutNd"])],
    "sparse": [(sparse, ["Embedding", "EmbeddingBag"])],
    "rnn": [(rnn, ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell",
                   "GRUCell"])],
    "transformer": [(transformer, ["Transformer", "TransformerEncoder", "TransformerDecoder",
                                   "TransformerEncoderLayer", "TransformerDecoderLayer"])],
    "padding": [(padding, ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d",
                           "ConstantPad2d", "ConstantPad3d", "ReflectionPad1d",
                           "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
                           "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d",
                           "ZeroPad3d"])],
    "pixelshuffle": [(pixelshuffle, ["PixelShuffle", "PixelUnshuffle"])],
    "upsampling": [(upsampling, ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"])],
    "flatten": [(linear, ["Flatten", "Unflatten"])],
    "distance": [(distance, ["PairwiseDistance", "CosineSimilarity"])],
    "fold": [(conv, ["Fold", "Unfold"])],
    "channelshuffle": [(channelshuffle, ["ChannelShuffle"])],
    "lazy": [(lazy, ["LazyModuleMixin"])],
    "adaptive": [(adaptive_softmax, ["AdaptiveLogSoftmaxWithLoss"])],
}


def _namespace(name, sources):
    """The submodule ``nn.modules.<name>``, registered so that ``import`` finds it too."""
    full = f"{__name__}.{name}"
    space = types.ModuleType(full, f"torch.nn.modules.{name}'s names, as this library's.")
    space.__all__ = []
    for source, names in sources:
        for n in names:
            if hasattr(source, n):
                setattr(space, n, getattr(source, n))
                if not n.startswith("_"):
                    space.__all__.append(n)
    sys.modules[full] = space
    return space


for _name, _sources in SUBMODULES.items():
    _space = _namespace(_name, _sources)
    globals()[_name] = _space
    if _name != "lazy":           # (torch.nn.modules holds every class but LazyModuleMixin)
        for _n in dir(_space):
            if not _n.startswith(("__", "register_", "RemovableHandle")):    # (as torch's)
                globals()[_n] = getattr(_space, _n)
        __all__ += _space.__all__
del _name, _sources, _space, _n
