"""torchvision's ``MNIST`` and ``FashionMNIST``, on top of :mod:`tinygrad_sgd.data.mnist`, and
``FakeData``.

``MNIST(root, train=True, transform=None, target_transform=None, download=False)`` has
torchvision's items and attributes: ``ds[i]`` is ``(transform(image), target_transform(label))``
with the image a 28x28 uint8 NumPy array (torchvision hands ``transform`` a PIL image of the
same pixels; ``ToTensor`` makes both the same 1x28x28 float Tensor) and the label an int;
``.data`` is the uint8 Tensor N x 28 x 28, ``.targets`` the int64 Tensor of labels,
``.classes`` and ``.class_to_idx`` as torchvision's.

Files are looked for first where torchvision keeps them — ``root/MNIST/raw/`` (or
``root/FashionMNIST/raw/``), compressed or not — then where :mod:`tinygrad_sgd.data.mnist`
looks (``root``, ``$TINYGRAD_SGD_DATA``, the cache, Debian's Fashion-MNIST package), and
every file's MD5 is checked. ``download=True`` fetches a missing file into
``root/<Name>/raw/``. A dataset that is not found is torchvision's ``RuntimeError: Dataset
not found...``, followed by the list of places searched.

``FakeData(size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
target_transform=None, random_offset=0)`` gives torchvision's very images: item ``i`` seeds
the global generator with ``i + random_offset`` (putting its state back afterwards), draws
``randn(*image_size)`` and ``randint(0, num_classes, (1,))`` — the numbers torch draws — and
hands ``transform`` the image as a PIL image (``ToPILImage``); the target is an int (after
``target_transform``, which gets the 0-d int64 Tensor, as torchvision's).
"""
import os
from pathlib import Path

import numpy as np

from ..data import mnist as _mnist
from ..dtypes import int64
from ..functions import get_rng_state, manual_seed, randint, randn, set_rng_state
from ..tensor import Tensor
from .transforms import ToPILImage

__all__ = ["MNIST", "FashionMNIST", "FakeData"]


class _StandardTransform:
    """How torchvision prints a dataset's ``transform`` and ``target_transform``."""

    def __init__(self, transform=None, target_transform=None):
        self.transform = transform
        self.target_transform = target_transform

    @staticmethod
    def _format(transform, head):
        lines = repr(transform).splitlines()
        return [f"{head}{lines[0]}"] + [" " * len(head) + line for line in lines[1:]]

    def __repr__(self):
        body = [self.__class__.__name__.lstrip("_")]
        if self.transform is not None:
            body += self._format(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += self._format(self.target_transform, "Target transform: ")
        return "\n".join(body)


class _TorchvisionIDX:
    """torchvision's view of an IDX dataset of :mod:`tinygrad_sgd.data.mnist`: uint8 images,
    int labels, transforms, torchvision's folder layout first."""

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        if isinstance(root, str):
            root = os.path.expanduser(root)
        self.root = root
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = (_StandardTransform(transform, target_transform)
                           if transform is not None or target_transform is not None else None)
        self._root_path = Path(root) if root is not None else None
        images, labels = self._load(download)
        self._images = np.ascontiguousarray(images, dtype=np.uint8)
        self._labels = labels.astype(np.int64)
        self.data = Tensor._of(self._images)
        self.targets = Tensor._of(self._labels)

    # ---- the files: torchvision's folder first, then the library's places ----
    @property
    def raw_folder(self):
        return None if self._root_path is None else self._root_path / type(self).__name__ / "raw"

    def search_dirs(self):
        dirs = [] if self.raw_folder is None else [(self.raw_folder, "torchvision's layout")]
        saved, self.root = self.root, self._root_path      # the library's search uses .root
        try:
            return dirs + super().search_dirs()
        finally:
            self.root = saved

    def _download_folder(self):
        if self.raw_folder is None:
            raise FileNotFoundError("download=True needs a root folder to download into")
        return self.raw_folder

    def _not_found_error(self, filename, failure):
        return RuntimeError("Dataset not found. You can use download=True to download it\n"
                            + self._not_found_message(filename, failure))

    # ---- torchvision's dataset protocol ----
    def __len__(self):
        return len(self._labels)

    def __getitem__(self, index):
        return self._transformed(self._images[index], int(self._labels[index]))

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"

    def __repr__(self):
        return _dataset_repr(self)


def _dataset_repr(dataset):
    """torchvision's ``VisionDataset.__repr__``: name, size, root, extra lines, transforms."""
    body = [f"Number of datapoints: {len(dataset)}"]
    if dataset.root is not None:
        body.append(f"Root location: {dataset.root}")
    body += dataset.extra_repr().splitlines()
    if dataset.transforms is not None:
        body += [repr(dataset.transforms)]
    return "\n".join([f"Dataset {type(dataset).__name__}"] + ["    " + line for line in body])


class MNIST(_TorchvisionIDX, _mnist.MNIST):
    """torchvision's ``MNIST(root, train=True, transform=None, target_transform=None,
    download=False)``: 60,000 training and 10,000 test digits (see the module notes)."""

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]


class FashionMNIST(_TorchvisionIDX, _mnist.FashionMNIST):
    """torchvision's ``FashionMNIST(root, train=True, transform=None, target_transform=None,
    download=False)``: Zalando's 10 kinds of clothing, in MNIST's format."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class FakeData:
    """torchvision's ``FakeData``: ``size`` random images of ``image_size`` (C, H, W) with
    targets in ``range(num_classes)``, item ``i`` the same every time (see the module
    notes)."""

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        self.root = None
        self.transform, self.target_transform = transform, target_transform
        self.transforms = (_StandardTransform(transform, target_transform)
                           if transform is not None or target_transform is not None else None)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index):
        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        rng_state = get_rng_state()            # the draws leave the generator as it was
        manual_seed(index + self.random_offset)
        img = randn(*self.image_size)
        target = randint(0, self.num_classes, size=(1,), dtype=int64)[0]
        set_rng_state(rng_state)
        img = ToPILImage()(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target.item()

    def __len__(self):
        return self.size

    def extra_repr(self):
        return ""

    def __repr__(self):
        return _dataset_repr(self)
