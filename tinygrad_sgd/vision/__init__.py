"""``tinygrad_sgd.vision`` — the part of ``torchvision`` that the classic tutorials use:

* :mod:`.transforms` — ``Compose``, ``ToTensor``, ``Normalize``, ``Lambda`` (NumPy images; no
  PIL needed), ``ToPILImage`` (PIL images, as torchvision's);
* :mod:`.datasets` — ``MNIST`` and ``FashionMNIST`` with torchvision's items: a 28x28 uint8
  image (through ``transform``) and an int label (through ``target_transform``); ``FakeData``
  (torchvision's random images, drawn as torch draws them);
* :mod:`.utils` — ``make_grid`` and ``save_image`` (a batch of images as one picture, a file).

Under ``python -m tinygrad_sgd.as_torch`` a program's ``import torchvision`` gets this package.
"""
from . import datasets, transforms, utils

__all__ = ["datasets", "transforms", "utils"]
