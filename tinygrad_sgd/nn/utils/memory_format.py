"""``torch.nn.utils.memory_format``: lay out the weights of a module tree's convolutions in a
memory format (``channels_last`` for 2-D convolutions, ``channels_last_3d`` for 3-D ones),
their values, shapes and Parameters unchanged."""

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _convert(module, memory_format, kinds, others):
    """Each module of ``kinds`` (but not of ``others``: here Conv1d and Conv3d subclass
    Conv2d, in torch they are its siblings) in the tree under (and including) ``module`` gets
    its weight's data replaced by a copy laid out in ``memory_format`` (torch's clone, then
    resize_ in that format); returns ``module``."""
    if isinstance(module, kinds) and not isinstance(module, others):
        weight_data = module.weight.detach().clone(memory_format=memory_format)
        module.weight.data = weight_data.resize_(weight_data.size(), memory_format=memory_format)
    for child in module.children():
        _convert(child, memory_format, kinds, others)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """The weights of every ``Conv2d`` and ``ConvTranspose2d`` in ``module`` (recursively) laid
    out in ``memory_format``; returns ``module``."""
    from ..conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
    return _convert(module, memory_format, (Conv2d, ConvTranspose2d),
                    (Conv1d, Conv3d, ConvTranspose1d, ConvTranspose3d))


def convert_conv3d_weight_memory_format(module, memory_format):
    """The weights of every ``Conv3d`` and ``ConvTranspose3d`` in ``module`` (recursively) laid
    out in ``memory_format``; returns ``module``."""
    from ..conv import Conv3d, ConvTranspose3d
    return _convert(module, memory_format, (Conv3d, ConvTranspose3d), ())
