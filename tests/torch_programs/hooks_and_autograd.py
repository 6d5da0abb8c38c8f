"""Hooks and autograd, as the tutorials and popular repositories use them: forward hooks that
capture activations into a dict, full backward hooks, Tensor.register_hook to print or scale
a gradient, retain_grad on intermediates, grad_fn and its next_functions, a WGAN-GP gradient
penalty with torch.autograd.grad(create_graph=True), a Hessian-vector product by double
backward, torch.autograd.functional.jacobian/hessian, freezing a sub-module with
requires_grad_(False), torch.no_grad and torch.inference_mode, and a custom
torch.autograd.Function checked with torch.autograd.gradcheck in float64.

As the tutorials, plus the command line: --steps (default 100, the fine-tuning steps),
--batch-size (default 16), --seed (default 0).
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser(description="hooks and autograd")
parser.add_argument("--steps", type=int, default=100)
parser.add_argument("--batch-size", type=int, default=16)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 16), nn.ReLU())
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.features(x))


model = Net()
x = torch.randn(args.batch_size, 10)
y = torch.randint(0, 3, (args.batch_size,))

# ------------------------------------------------------------ forward hooks: activations
print("=== forward hooks ===")
activations = {}


def get_activation(name):
    def hook(module, inputs, output):
        activations[name] = output.detach()
    return hook


handles = []
for name, module in model.named_modules():
    if isinstance(module, (nn.Linear, nn.ReLU, nn.Tanh)):
        handles.append(module.register_forward_hook(get_activation(name)))
out = model(x)
for name, act in activations.items():
    print(f"{name:12s} {str(tuple(act.shape)):10s} mean {act.mean().item():+.4f} "
          f"std {act.std().item():.4f}")
print("dead ReLU units:", (activations["features.3"] == 0).all(dim=0).sum().item())
for h in handles:
    h.remove()
activations.clear()
model(x)
print("after remove():", len(activations), "activations captured")


def scale_output(module, inputs, output):
    return output * 2


h = model.head.register_forward_hook(scale_output)
print("hook returning a value changes the output:",
      torch.allclose(model(x), 2 * out))
h.remove()


def pre_hook(module, inputs):
    print(f"pre-hook on {type(module).__name__}: input shape {tuple(inputs[0].shape)}")


h = model.features[0].register_forward_pre_hook(pre_hook)
model(x[:2])
h.remove()

# ------------------------------------------------------------ backward hooks
print("=== backward hooks ===")
def backward_hook(module, grad_input, grad_output):
    print(f"{type(module).__name__} grad_output {tuple(grad_output[0].shape)} "
          f"norm {grad_output[0].norm().item():.6f}, grad_input[0] "
          f"{'None' if grad_input[0] is None else f'{grad_input[0].norm().item():.6f}'}")


handles = [model.head.register_full_backward_hook(backward_hook),
           model.features[1].register_full_backward_hook(backward_hook)]
loss = F.cross_entropy(model(x), y)
loss.backward()
print(f"loss {loss.item():.6f}")
for h in handles:
    h.remove()
model.zero_grad()

# ------------------------------------------------------------ tensor hooks, retain_grad, grad_fn
print("=== tensor hooks ===")
a = torch.randn(4, requires_grad=True)
b = torch.randn(4, requires_grad=True)
c = a * b
c.retain_grad()
d = c.exp()
d.retain_grad()
e = d.sum()


def print_grad(grad):
    print("grad of c:", grad)


c.register_hook(print_grad)
b.register_hook(lambda grad: grad * 10)
e.backward()
print("a.grad:", a.grad)
print("b.grad (scaled by 10):", b.grad)
print("c.grad:", c.grad)
print("d.grad:", d.grad)
print("is_leaf:", a.is_leaf, c.is_leaf, "requires_grad:", c.requires_grad)
print("grad_fn of a leaf:", a.grad_fn, "of c:", c.grad_fn is not None)

# gradient clipping in a hook (a popular RNN trick)
w = torch.randn(3, 3, requires_grad=True)
w.register_hook(lambda g: g.clamp(-0.1, 0.1))
(w ** 3).sum().backward()
print("clamped grad max:", w.grad.abs().max().item())

# ------------------------------------------------------------ gradient penalty (WGAN-GP)
print("=== gradient penalty ===")
critic = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 32),
                       nn.LeakyReLU(0.2), nn.Linear(32, 1))
real = torch.randn(args.batch_size, 2) + torch.tensor([2.0, 0.0])
fake = torch.randn(args.batch_size, 2)
optimizer_c = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))


def gradient_penalty(critic, real, fake):
    alpha = torch.rand(real.size(0), 1)
    alpha = alpha.expand_as(real)
    interpolates = alpha * real + (1 - alpha) * fake
    interpolates.requires_grad_(True)
    critic_interpolates = critic(interpolates)
    gradients = torch.autograd.grad(outputs=critic_interpolates, inputs=interpolates,
                                    grad_outputs=torch.ones_like(critic_interpolates),
                                    create_graph=True, retain_graph=True, only_inputs=True)[0]
    gradients = gradients.view(gradients.size(0), -1)
    return ((gradients.norm(2, dim=1) - 1) ** 2).mean()


torch.autograd.set_detect_anomaly(True)      # while debugging a NaN, as people do
for it in range(5):
    if it == 2:
        torch.autograd.set_detect_anomaly(False)
    optimizer_c.zero_grad()
    gp = gradient_penalty(critic, real, fake)
    d_loss = critic(fake).mean() - critic(real).mean() + 10 * gp
    d_loss.backward()
    optimizer_c.step()
    print(f"iter {it} d_loss {d_loss.item():.6f} gp {gp.item():.6f} "
          f"grad norm {critic[0].weight.grad.norm().item():.6f}")

# ------------------------------------------------------------ Hessian-vector product
print("=== Hessian-vector product ===")
reg = nn.Linear(5, 1)
xs = torch.randn(20, 5)
ys = torch.randn(20, 1)
params = list(reg.parameters())
loss = F.mse_loss(reg(xs), ys)
grads = torch.autograd.grad(loss, params, create_graph=True)
vs = [torch.randn_like(p) for p in params]
grad_dot_v = sum((g * v).sum() for g, v in zip(grads, vs))
hvp = torch.autograd.grad(grad_dot_v, params)
for p, hv in zip(params, hvp):
    print(f"hvp {tuple(p.shape)}: {hv.flatten()[:5]}")
# the same with x^T A x, whose Hessian is A + A^T
A = torch.randn(4, 4)
z = torch.randn(4, requires_grad=True)
f = z @ A @ z
(g,) = torch.autograd.grad(f, z, create_graph=True)
v = torch.ones(4)
(hv,) = torch.autograd.grad(g, z, grad_outputs=v)
print("Hv:", hv)
print("(A + A^T) v:", (A + A.T) @ v)
print("match:", torch.allclose(hv, (A + A.T) @ v, atol=1e-5))

# ------------------------------------------------------------ functional jacobian / hessian
print("=== torch.autograd.functional ===")


def fn(t):
    return torch.stack([t[0] ** 2 * t[1], 5 * t[0] + torch.sin(t[1]), t[1].exp()])


def scalar_fn(t):
    return (t ** 3).sum() + t[0] * t[1]


t0 = torch.tensor([1.0, 2.0])
J = torch.autograd.functional.jacobian(fn, t0)
print("jacobian:")
print(J)
H = torch.autograd.functional.hessian(scalar_fn, t0)
print("hessian:")
print(H)
Jm = torch.autograd.functional.jacobian(lambda u, w: u * w.sum(), (t0, torch.ones(3)))
print("jacobian of two inputs:", [tuple(j.shape) for j in Jm])
print(Jm[0])
_, vjp = torch.autograd.functional.vjp(fn, t0, torch.ones(3))
print("vjp:", vjp)
_, jvp = torch.autograd.functional.jvp(fn, t0, torch.tensor([1.0, 0.0]))
print("jvp:", jvp)
_, hv = torch.autograd.functional.hvp(scalar_fn, t0, torch.tensor([1.0, 1.0]))
print("hvp:", hv)

# ------------------------------------------------------------ freezing and fine-tuning
print("=== freezing ===")
total = sum(p.numel() for p in model.parameters())
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(f"total {total}, trainable {trainable}")
model.features.requires_grad_(False)
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(f"after freezing features: trainable {trainable}")
for name, p in model.named_parameters():
    print(f"  {name:20s} requires_grad={p.requires_grad}")
optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1,
                            momentum=0.9)
frozen_before = model.features[0].weight.clone()
for step in range(args.steps):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    if step % max(1, args.steps // 5) == 0 or step == args.steps - 1:
        print(f"step {step:3d} loss {loss.item():.6f}")
print("frozen weights unchanged:", torch.equal(frozen_before, model.features[0].weight))
print("frozen grad is None:", model.features[0].weight.grad is None)

with torch.no_grad():
    out = model(x)
print("no_grad output requires_grad:", out.requires_grad, out.grad_fn)
with torch.inference_mode():
    out = model(x)
print("inference_mode:", out.requires_grad, out.grad_fn, torch.is_inference_mode_enabled())
print("grad enabled:", torch.is_grad_enabled())
with torch.enable_grad():
    print("enable_grad:", torch.is_grad_enabled())
torch.set_grad_enabled(False)
print("set_grad_enabled(False):", torch.is_grad_enabled(), model(x).requires_grad)
torch.set_grad_enabled(True)
pred = model(x).argmax(1)
print(f"accuracy {(pred == y).float().mean().item():.4f}")


# ------------------------------------------------------------ custom autograd.Function
print("=== custom Function ===")
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input, weight, bias=None):
        ctx.save_for_backward(input, weight, bias)
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


class MulConstant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, tensor, constant):
        ctx.constant = constant
        return tensor * constant

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None


inputs = (torch.randn(20, 20, dtype=torch.double, requires_grad=True),
          torch.randn(30, 20, dtype=torch.double, requires_grad=True))
test = torch.autograd.gradcheck(LinearFunction.apply, inputs, eps=1e-6, atol=1e-4)
print("gradcheck LinearFunction:", test)
inputs = (torch.randn(8, 4, dtype=torch.double, requires_grad=True),
          torch.randn(3, 4, dtype=torch.double, requires_grad=True),
          torch.randn(3, dtype=torch.double, requires_grad=True))
print("gradcheck with bias:", torch.autograd.gradcheck(LinearFunction.apply, inputs))
print("gradgradcheck MulConstant:", torch.autograd.gradgradcheck(
    lambda t: MulConstant.apply(t, 3.0), (torch.randn(5, dtype=torch.double,
                                                      requires_grad=True),)))
xin = torch.randn(6, 4, requires_grad=True)
w = torch.randn(3, 4, requires_grad=True)
out = LinearFunction.apply(xin, w)
out.sum().backward()
print("needs_input_grad path: x.grad sum", f"{xin.grad.sum().item():.6f}",
      "w.grad sum", f"{w.grad.sum().item():.6f}")
frozen_w = torch.randn(3, 4)
xin.grad = None
LinearFunction.apply(xin, frozen_w).pow(2).sum().backward()
print("x.grad with a constant weight:", xin.grad[0])
m = MulConstant.apply(torch.ones(3, requires_grad=True), 5.0)
print(m, m.requires_grad)


def bad_backward_check():
    class Wrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t ** 2

        @staticmethod
        def backward(ctx, g):
            return g * 3.0

    try:
        torch.autograd.gradcheck(Wrong.apply, (torch.randn(3, dtype=torch.double,
                                                           requires_grad=True),))
    except RuntimeError as err:
        print("gradcheck failed as expected:", type(err).__name__,
              str(err).splitlines()[0])


bad_backward_check()
print("raise_exception=False:", torch.autograd.gradcheck(
    lambda t: t.abs() * 0 + t ** 2 + t.sum() * 0,
    (torch.randn(3, dtype=torch.double, requires_grad=True),), raise_exception=False))
