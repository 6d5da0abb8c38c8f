"""torchvision.utils' pictures of a batch: :func:`make_grid` (the images side by side, rows of
``nrow``, ``padding`` pixels between them) and :func:`save_image` (that grid as a PNG/JPEG
file) — what the GAN and VAE tutorials save their samples with. torchvision's rules: a
single-channel image becomes three equal channels; ``normalize`` maps [min, max] (of the whole
batch, of each image with ``scale_each``, or ``value_range``) to [0, 1]; the file holds
``round-half-up(255·x)`` clamped to 0..255."""
import math

from .. import functions as F
from ..autograd import no_grad
from ..dtypes import uint8
from ..tensor import Tensor

__all__ = ["make_grid", "save_image"]


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """``tensor`` (B, C, H, W), or a list of (C, H, W) images, as one (C', H', W') image: a grid
    of ``ceil(B / nrow)`` rows of at most ``nrow`` images, ``padding`` pixels of ``pad_value``
    around each (C' = 3 when C is 1). A single image is returned without padding. (The old
    ``range=`` keyword is gone, as in torchvision since 0.14.)"""
    if not isinstance(tensor, Tensor):
        if not isinstance(tensor, list):
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
        for t in tensor:
            if not isinstance(t, Tensor):
                raise TypeError(f"tensor or list of tensors expected, got a list containing "
                                f"{type(t)}")
    with no_grad():
        if isinstance(tensor, list):
            tensor = F.stack(tensor, 0)
        if tensor.dim() == 2:                         # one image, H x W
            tensor = tensor.unsqueeze(0)
        if tensor.dim() == 3:                         # one image, C x H x W
            if tensor.size(0) == 1:
                tensor = F.cat((tensor, tensor, tensor), 0)
            tensor = tensor.unsqueeze(0)
        if tensor.dim() == 4 and tensor.size(1) == 1:
            tensor = F.cat((tensor, tensor, tensor), 1)
        if normalize is True:
            tensor = _normalized(tensor, value_range, scale_each)
        if not isinstance(tensor, Tensor) or tensor.dim() != 4:
            raise ValueError(f"make_grid: expected a 4-D batch, got shape {tuple(tensor.shape)}")
        if tensor.size(0) == 1:
            return tensor.squeeze(0)
        n = tensor.size(0)
        across = min(nrow, n)
        down = int(math.ceil(float(n) / across))
        height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
        grid = tensor.new_full((tensor.size(1), height * down + padding,
                                width * across + padding), pad_value)
        for k in range(n):                            # (one copy per image, as torchvision)
            y, x = divmod(k, across)
            grid.narrow(1, y * height + padding, height - padding).narrow(
                2, x * width + padding, width - padding).copy_(tensor[k])
        return grid


def _normalized(tensor, value_range, scale_each):
    """A copy with [low, high] mapped to [0, 1] (clamped first), as torchvision's norm_ip."""
    tensor = tensor.clone()
    if value_range is not None and not isinstance(value_range, tuple):
        raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                        "are numbers")

    def normalize(img, low, high):
        img.clamp_(min=low, max=high)
        img.sub_(low).div_(max(high - low, 1e-5))

    def normalize_range(t):
        if value_range is not None:
            normalize(t, value_range[0], value_range[1])
        else:
            normalize(t, float(t.min()), float(t.max()))
    if scale_each is True:
        for t in tensor:                  # each image of the batch by its own range
            normalize_range(t)
    else:
        normalize_range(tensor)
    return tensor


def save_image(tensor, fp, format=None, **kwargs):
    """Save ``tensor`` (an image, a batch or a list: :func:`make_grid` with ``kwargs``) as an
    image file (its format from ``fp``'s extension, or ``format``) with Pillow: pixel values in
    [0, 1] become 0..255 by ``255·x + 0.5`` clamped and truncated, as torchvision."""
    import numpy as np
    from PIL import Image
    with no_grad():
        grid = make_grid(tensor, **kwargs)
        pixels = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", uint8)
        Image.fromarray(np.ascontiguousarray(pixels.numpy())).save(fp, format=format)
