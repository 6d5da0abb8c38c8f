"""torchvision's basic transforms, for NumPy images (PIL is not needed):

* ``ToTensor()`` — an HxW or HxWxC image (NumPy array, or a PIL image of mode L, RGB, RGBA)
  to a CxHxW Tensor: uint8 images become float32 in [0, 1] (``x / 255``), other arrays keep
  their values and dtype, as torchvision's;
* ``Normalize(mean, std)`` — ``(x - mean) / std`` per channel of a float CxHxW (or
  ...xCxHxW) Tensor, in its dtype;
* ``Lambda(f)`` — any function; ``Compose([t1, t2, ...])`` — one after the other;
* ``ToPILImage(mode=None)`` — a CxHxW Tensor or HxWxC array to a PIL image, as torchvision's
  (a float Tensor becomes ``x.mul(255).byte()``, wrapping outside [0, 1) as torch's cast
  does; PIL, which matplotlib already needs, is imported when one is made).

The MNIST tutorial's ``Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])`` gives the
numbers torchvision gives.
"""
import numpy as np

from ..creation import as_tensor
from ..tensor import Tensor

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda", "ToPILImage"]


class Compose:
    """Apply ``transforms`` in order: ``Compose([ToTensor(), Normalize(m, s)])(img)``."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        lines = [self.__class__.__name__ + "("]
        lines += [f"    {t}" for t in self.transforms]
        return "\n".join(lines) + "\n)"


_PIL_MODES = {"L": 1, "RGB": 3, "RGBA": 4, "1": 1}


def _image_array(pic):
    """An image as an HxWxC NumPy array (a PIL image of a common mode is read through NumPy,
    without importing PIL)."""
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        return pic[:, :, None] if pic.ndim == 2 else pic
    if hasattr(pic, "mode") and hasattr(pic, "getbands"):          # a PIL image
        if pic.mode not in _PIL_MODES:
            raise TypeError(f"ToTensor: PIL images of mode {pic.mode!r} are not supported by "
                            f"tinygrad_sgd (modes {', '.join(_PIL_MODES)} are); convert the "
                            f"image to a NumPy array first")
        arr = np.array(pic, dtype=np.uint8)
        if pic.mode == "1":
            arr = arr * np.uint8(255)
        return arr.reshape(pic.size[1], pic.size[0], _PIL_MODES[pic.mode])
    raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")


class ToTensor:
    """An image (HxW or HxWxC NumPy array, or a PIL image) as a CxHxW Tensor; uint8 images
    are scaled to float32 in [0, 1] (``x / 255``), other dtypes are kept as they are."""

    def __call__(self, pic):
        arr = _image_array(pic)
        chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
        if chw.dtype == np.uint8:
            return Tensor._of(chw.astype(np.float32) / np.float32(255))
        return Tensor._of(chw)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class Normalize:
    """``(x - mean) / std`` per channel; ``mean`` and ``std`` are sequences with one value
    per channel (or one for all). The input must be a float Tensor of shape (..., C, H, W);
    ``inplace=True`` writes the result into it."""

    def __init__(self, mean, std, inplace=False):
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
        if not tensor.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.ndim < 3:
            raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                             f"tensor.size() = {tensor.size()}")
        mean = as_tensor(self.mean, dtype=tensor.dtype)
        std = as_tensor(self.std, dtype=tensor.dtype)
        if (std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, "
                             f"leading to division by zero.")
        if mean.ndim == 1:
            mean = mean.view(-1, 1, 1)
        if std.ndim == 1:
            std = std.view(-1, 1, 1)
        if not self.inplace:
            tensor = tensor.clone()
        return tensor.sub_(mean).div_(std)

    def __repr__(self):
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """A function as a transform: ``Lambda(lambda x: x * 2)``."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got "
                            f"{repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


def _pil_mode(npimg, mode):
    """torchvision's choice of PIL mode for an HxWxC array (and its checks of a given one);
    returns the array (HxW for one channel) and the mode."""
    if npimg.shape[2] == 1:
        npimg = npimg[:, :, 0]
        expected = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16",
                    np.dtype(np.int32): "I", np.dtype(np.float32): "F"}.get(npimg.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {np.dtype}. "
                             f"Should be {expected}")       # (torchvision's words, verbatim)
        return npimg, expected
    permitted, default, what = {2: (["LA"], "LA", "2D"),
                                4: (["RGBA", "CMYK", "RGBX"], "RGBA", "4D")}.get(
        npimg.shape[2], (["RGB", "YCbCr", "HSV"], "RGB", "3D"))
    if mode is not None and mode not in permitted:
        raise ValueError(f"Only modes {permitted} are supported for {what} inputs")
    if mode is None and npimg.dtype == np.uint8:
        mode = default
    return npimg, mode


def to_pil_image(pic, mode=None):
    """torchvision's ``to_pil_image``: a CxHxW Tensor or HxWxC NumPy array (or an HxW one)
    as a PIL image; a float Tensor is scaled by 255 and cast to uint8 first (unless
    ``mode="F"``)."""
    if isinstance(pic, Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic.unsqueeze(0)
        if pic.shape[-3] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-3]} channels.")
        if pic.is_floating_point() and mode != "F":
            pic = pic.mul(255).byte()
        npimg = np.transpose(pic.numpy(), (1, 2, 0))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        npimg = pic[:, :, None] if pic.ndim == 2 else pic
        if npimg.shape[-1] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {npimg.shape[-1]} "
                             f"channels.")
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    npimg, mode = _pil_mode(npimg, mode)
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    from PIL import Image
    return Image.fromarray(npimg, mode=mode)


class ToPILImage:
    """A Tensor (CxHxW) or NumPy array (HxWxC) as a PIL image (see :func:`to_pil_image`);
    without ``mode``, 1/2/3/4 uint8 channels are L/LA/RGB/RGBA."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return to_pil_image(pic, self.mode)

    def __repr__(self):
        return f"{self.__class__.__name__}(" + ("" if self.mode is None else
                                                f"mode={self.mode}") + ")"
