"""torchvision.datasets' MNIST and FashionMNIST, reading root/<Name>/raw/ (see the package
notes)."""
import gzip
import os

import numpy as np
import torch


def _read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = np.frombuffer(data, dtype=">u4", count=ndim, offset=4)
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class MNIST:
    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        self.root, self.train = root, train
        self.transform, self.target_transform = transform, target_transform
        prefix = "train" if train else "t10k"
        raw = os.path.join(root, type(self).__name__, "raw")

        def find(name):
            for candidate in (name, name + ".gz"):
                if os.path.isfile(os.path.join(raw, candidate)):
                    return os.path.join(raw, candidate)
            raise RuntimeError("Dataset not found. You can use download=True to download it")

        self.data = torch.from_numpy(_read_idx(find(f"{prefix}-images-idx3-ubyte")).copy())
        self.targets = torch.from_numpy(
            _read_idx(find(f"{prefix}-labels-idx1-ubyte")).astype(np.int64))

    def __getitem__(self, index):
        img, target = self.data[index].numpy(), int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)


class FashionMNIST(MNIST):
    pass
