"""Ready-made models.

* :class:`SimpleCNN` — the classic PyTorch MNIST tutorial network (:mod:`.simple_cnn`);
* :class:`MLP` — a stack of Linear layers with one activation between them;
* :class:`GPT` with :class:`GPTConfig` — a GPT-2-shaped language model (:mod:`.gpt`) whose
  state_dict keys are those of the well-known minimal GPT-2 implementations.
"""
from .simple_cnn import SimpleCNN, MLP
from .gpt import GPT, GPTConfig

__all__ = ["SimpleCNN", "MLP", "GPT", "GPTConfig"]
