"""The torch twin of ``tinygrad_sgd.models.SimpleCNN`` (the PyTorch MNIST example's network),
the one reference the benchmarks and the tests compare our CNN with.

It lives here, not in the library, because the library never imports torch. Its layers have
SimpleCNN's names (``conv1``, ``conv2``, ``fc1``, ``fc2``), so ``state_dict`` keys match and
weights load both ways. Scripts in ``benchmarks/`` import it directly; tests put
``benchmarks/`` on ``sys.path`` first.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class TorchCNN(nn.Module):
    """conv(1→10, 5×5) → max_pool(2) → relu → conv(10→20, 5×5) → max_pool(2) → relu
    → flatten (320) → linear(320→50) → relu → dropout(0.5) → linear(50→10) → log_softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, 0.5, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)
