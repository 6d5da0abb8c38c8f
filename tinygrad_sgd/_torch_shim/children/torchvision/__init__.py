"""``import torchvision`` in a child process of a torch program run by ``tinygrad-sgd run``:
as ``import torch`` there (see ``children/torch/__init__.py``)."""
from tinygrad_sgd._torch_shim import become_torch_in_child

become_torch_in_child(__name__)
