"""``import torch`` in a child process of a torch program run by ``tinygrad-sgd run``.

A child started with ``spawn`` or ``forkserver`` (``torch.multiprocessing.spawn``, a
``Process`` of that start method, DataLoader workers of that context) is a fresh interpreter:
it has none of the runner's import hook. ``multiprocessing`` gives it the parent's ``sys.path``,
on which the runner puts this folder (after the program's own), so the child's first ``import
torch`` lands here: this installs the runner's hook for the rest of the child's life and
hands back the library's ``torch`` module in place of this one (Python's import returns
whatever ``sys.modules`` holds for the name once the module has run)."""
from tinygrad_sgd._torch_shim import become_torch_in_child

become_torch_in_child(__name__)
