"""torchvision's ``MNIST`` and ``FashionMNIST``, on top of :mod:`tinygrad_sgd.data.mnist`.

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
"""
import os
from pathlib import Path

import numpy as np

from ..data import mnist as _mnist
from ..tensor import Tensor

__all__ = ["MNIST", "FashionMNIST"]


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
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transforms is not None:
            body += [repr(self.transforms)]
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + line for line in body])


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
