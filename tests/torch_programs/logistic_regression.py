"""Logistic regression, the seed program of this library's lessons: two weights and a bias, a
sigmoid, binary cross-entropy and SGD, full batch, on noisy points in the unit square.

With the defaults it prints torch's "Epoch 1000, Loss: 0.6212" ... "Epoch 10000, Loss: 0.4085"
and "Accuracy: 83.70%". The command line shortens it: --epochs, --print-every.
"""
import argparse

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=10000)
parser.add_argument("--print-every", type=int, default=1000)
parser.add_argument("--lr", type=float, default=0.01)
args = parser.parse_args()

torch.manual_seed(541)
X = torch.rand(1000, 2)                                   # points in the unit square
Y = torch.round(0.25 * X[:, 0] + 0.45 * X[:, 1] + 0.3 * torch.rand(1000))

w = torch.nn.Parameter(torch.zeros(2))
b = torch.nn.Parameter(torch.tensor(0.0))
criterion = torch.nn.BCELoss()
optimizer = torch.optim.SGD([w, b], lr=args.lr)

for epoch in range(args.epochs):
    p = torch.sigmoid(torch.matmul(X, w) + b)
    loss = criterion(p, Y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if (epoch + 1) % args.print_every == 0:
        print(f"Epoch {epoch + 1}, Loss: {loss.item():.4f}")

with torch.no_grad():
    predicted = torch.round(torch.sigmoid(torch.matmul(X, w) + b))
    accuracy = (predicted == Y).float().mean()
print(f"w = {w.data}, b = {b.item():.4f}")
print(f"Accuracy: {accuracy.item() * 100:.2f}%")
