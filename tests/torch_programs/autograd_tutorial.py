"""The PyTorch tutorials about autograd: "Learn the Basics — Automatic Differentiation with
torch.autograd" (autogradqs_tutorial.py) and the 60-minute blitz's "A Gentle Introduction to
torch.autograd" (blitz/autograd_tutorial.py, old and new), each result printed as they print
it. A graph node prints as ``<AddBackward0 object at 0x7f...>``; the address is left out here
(``node()``) so that runs can be compared.

As the tutorials, plus a command line: --seed (default 0; the tutorials draw unseeded).
"""
import argparse
import re

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)


def node(grad_fn):
    """``<AddBackward0 object at 0x7f...>`` without its address."""
    return re.sub(r" at 0x[0-9a-fA-F]+", "", str(grad_fn))


# ---------------------------------------------------------------- Learn the Basics
x = torch.ones(5)  # input tensor
y = torch.zeros(3)  # expected output
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(w)
print(b)
print(z)
print(loss)

print(f"Gradient function for z = {node(z.grad_fn)}")
print(f"Gradient function for loss = {node(loss.grad_fn)}")

loss.backward()
print(w.grad)
print(b.grad)

z = torch.matmul(x, w) + b
print(z.requires_grad)

with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)

z = torch.matmul(x, w) + b
z_det = z.detach()
print(z_det.requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")

# ---------------------------------------------------------------- the blitz (old version)
x = torch.ones(2, 2, requires_grad=True)
print(x)

y = x + 2
print(y)
print(node(y.grad_fn))

z = y * y * 3
out = z.mean()
print(z, out)

a = torch.randn(2, 2)
a = ((a * 3) / (a - 1))
print(a.requires_grad)
a.requires_grad_(True)
print(a.requires_grad)
b = (a * a).sum()
print(node(b.grad_fn))

out.backward()
print(x.grad)

x = torch.randn(3, requires_grad=True)

y = x * 2
while y.data.norm() < 1000:
    y = y * 2

print(y)

v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(v)

print(x.grad)

print(x.requires_grad)
print((x ** 2).requires_grad)

with torch.no_grad():
    print((x ** 2).requires_grad)

print(x.requires_grad)
y = x.detach()
print(y.requires_grad)
print(x.eq(y).all())

# ---------------------------------------------------------------- the blitz (new version)
a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)

Q = 3 * a ** 3 - b ** 2
print(Q)

external_grad = torch.tensor([1., 1.])
Q.backward(gradient=external_grad)

# check if collected gradients are correct
print(9 * a ** 2 == a.grad)
print(-2 * b == b.grad)
print(a.grad, b.grad)

x = torch.rand(5, 5)
y = torch.rand(5, 5)
z = torch.rand((5, 5), requires_grad=True)

a = x + y
print(f"Does `a` require gradients?: {a.requires_grad}")
b = x + z
print(f"Does `b` require gradients?: {b.requires_grad}")

# freezing a model but its new classifier, as the blitz does with resnet18's fc
model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
for param in model.parameters():
    param.requires_grad = False
model[2] = torch.nn.Linear(16, 10)
optimizer = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
print([p.requires_grad for p in model.parameters()])
data = torch.rand(1, 8)
labels = torch.rand(1, 10)
prediction = model(data)
loss = (prediction - labels).sum()
loss.backward()
print(model[0].weight.grad, model[2].bias.grad)
optimizer.step()
print(model[2].bias)

# ---------------------------------------------------------------- the graph, walked by hand
x = torch.ones(5)
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.zeros(3))
print(node(loss.grad_fn))
print(loss.grad_fn.name(), z.grad_fn.name())
print(z.is_leaf, w.is_leaf, z.requires_grad, z.grad_fn is not None, w.grad_fn)
z.retain_grad()
loss.backward(retain_graph=True)
print(z.grad)
print(w.grad)
loss.backward()
print(w.grad)
print(b.grad)

# gradients of a scalar function and of a vector one
x = torch.linspace(-2.0, 2.0, 5, requires_grad=True)
y = (x ** 3 - 2 * x).sum()
(g,) = torch.autograd.grad(y, x, create_graph=True)
print(g)
(g2,) = torch.autograd.grad(g.sum(), x)
print(g2)
y = torch.sigmoid(x)
y.backward(torch.ones_like(y))
print(x.grad)
x.grad = None
torch.tanh(x).sum().backward()
print(x.grad)
x.grad.zero_()
print(x.grad)

# requires_grad, detach and no_grad in more of their forms
t = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
print(t * 2)
print((t * 2).detach())
print((t * 2).requires_grad, (t * 2).detach().requires_grad, t.detach().is_leaf)
with torch.no_grad():
    u = t * 2
print(u, u.requires_grad, u.grad_fn)


@torch.no_grad()
def doubler(v):
    return v * 2


print(doubler(t).requires_grad)
with torch.enable_grad():
    print((t * 2).requires_grad)
torch.set_grad_enabled(False)
print((t * 2).requires_grad)
torch.set_grad_enabled(True)
print((t * 2).requires_grad, torch.is_grad_enabled())
s = (t ** 2).sum()
s.backward()
print(t.grad)
try:
    s.backward()
except RuntimeError as e:
    print("RuntimeError:", str(e).split(".")[0])
try:
    torch.tensor([1, 2], requires_grad=True)
except RuntimeError as e:
    print("RuntimeError:", e)
try:
    (t * 2).backward()
except RuntimeError as e:
    print("RuntimeError:", e)
