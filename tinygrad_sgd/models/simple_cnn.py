"""Two small classic models.

* :class:`SimpleCNN` — the classic PyTorch MNIST tutorial network (two 5×5 convolutions, two
  linear layers); its ``state_dict()`` keys (``conv1.weight`` ... ``fc2.bias``) match a torch
  model with the same attribute names, so weights move both ways.
* :class:`MLP` — a stack of Linear layers with one activation between them, e.g.
  ``MLP([2, 16, 16, 1])`` for the two-moons/XOR demos.
"""
from .. import nn
from ..nn import functional as F

__all__ = ["SimpleCNN", "MLP"]


class SimpleCNN(nn.Module):
    """(N, 1, 28, 28) images → (N, 10) log-probabilities:

    conv(1→10, 5×5) → max_pool(2) → relu → conv(10→20, 5×5) → max_pool(2) → relu → flatten
    (20·4·4 = 320) → Linear(320→50) → relu → dropout(0.5, only while training) →
    Linear(50→10) → log_softmax.   Train it with ``F.nll_loss``.
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = F.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, 0.5, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)


_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}


class MLP(nn.Sequential):
    """``MLP([2, 16, 16, 1], activation='tanh')``: Linear(2→16) → tanh → Linear(16→16) → tanh
    → Linear(16→1). No activation after the last layer (add a loss with logits). It is a
    Sequential, so its state_dict keys are ``"0.weight"``, ``"2.weight"``, ... as for the torch
    ``nn.Sequential`` with the same layers. ``activation``: 'tanh', 'relu', 'sigmoid', or a
    Module class."""

    def __init__(self, sizes, activation="tanh"):
        sizes = list(sizes)
        if len(sizes) < 2 or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0
                                     for s in sizes):
            raise ValueError(f"MLP: sizes must be at least two positive integers (inputs, ..., "
                             f"outputs), got {sizes!r}")
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(f"MLP: unknown activation {activation!r}; choose one of "
                                 f"{sorted(_ACTIVATIONS)} or pass a Module class")
            act = _ACTIVATIONS[activation]
        elif isinstance(activation, type) and issubclass(activation, nn.Module):
            act = activation
        else:
            raise TypeError(f"MLP: activation must be a name or a Module class, got "
                            f"{activation!r}")
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            if i:
                layers.append(act())
            layers.append(nn.Linear(n_in, n_out))
        super().__init__(*layers)
        self.sizes = sizes
