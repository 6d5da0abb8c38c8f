"""A stand-in for torchvision, for running the test programs on real torch where torchvision
cannot be installed (this machine's index has only CUDA builds of torchvision, which do not
load with the CPU build of torch). The tests put it on ``sys.path`` only then.

It is written with torch and NumPy from torchvision 0.28's source, for what the programs use:
``datasets.MNIST`` / ``FashionMNIST`` (files in ``root/<Name>/raw/``, items ``(transform(image),
int(label))``), ``transforms.Compose``, ``ToTensor`` and ``Normalize``. torchvision hands
``transform`` a PIL image; ``ToTensor`` of that image is the same tensor as of its uint8 array.
"""
from . import datasets, transforms

__version__ = "stand-in for the tests"
