"""micrograd's demo, written with torch: a 2-16-16-1 MLP learns the two moons with the
max-margin (hinge) loss, L2 regularisation and a hand-written SGD loop — micrograd's
``p.data += -lr * p.grad`` and ``p.grad = None``. micrograd computes in Python floats, so the
model is in float64 here too.

The moons are made with NumPy (as scikit-learn's ``make_moons(n_samples=100, noise=0.1)``
makes them). Command line: --steps (default 100, the demo's), --seed (default 1337).
"""
import argparse

import numpy as np
import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=100)
parser.add_argument("--seed", type=int, default=1337)
args = parser.parse_args()

np.random.seed(args.seed)
torch.manual_seed(args.seed)


def make_moons(n_samples=100, noise=0.1):
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer_x = np.cos(np.linspace(0, np.pi, n_out))
    outer_y = np.sin(np.linspace(0, np.pi, n_out))
    inner_x = 1 - np.cos(np.linspace(0, np.pi, n_in))
    inner_y = 1 - np.sin(np.linspace(0, np.pi, n_in)) - 0.5
    X = np.vstack([np.append(outer_x, inner_x), np.append(outer_y, inner_y)]).T
    y = np.hstack([np.zeros(n_out), np.ones(n_in)])
    X += np.random.normal(scale=noise, size=X.shape)
    return X, y


X, y = make_moons(n_samples=100, noise=0.1)
y = y * 2 - 1  # make y be -1 or 1

model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(),
                      nn.Linear(16, 16), nn.ReLU(),
                      nn.Linear(16, 1)).double()
print(model)
print("number of parameters", sum(p.numel() for p in model.parameters()))

Xb = torch.tensor(X)
yb = torch.tensor(y)


def loss():
    # forward the model to get scores
    scores = model(Xb).squeeze(1)

    # svm "max-margin" loss
    losses = (1 + -yb * scores).relu()
    data_loss = losses.sum() * (1.0 / len(losses))
    # L2 regularization
    alpha = 1e-4
    reg_loss = alpha * sum((p * p).sum() for p in model.parameters())
    total_loss = data_loss + reg_loss

    # also get accuracy
    accuracy = ((yb > 0) == (scores > 0)).float().mean()
    return total_loss, accuracy


for k in range(args.steps):

    # forward
    total_loss, acc = loss()

    # backward
    for p in model.parameters():
        p.grad = None
    total_loss.backward()

    # update (sgd)
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data += -learning_rate * p.grad

    if k % 1 == 0:
        print(f"step {k} loss {total_loss.item()}, accuracy {acc.item() * 100}%")
