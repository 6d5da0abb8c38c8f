"""A tour of torch.optim: the same small regression model trained for a few steps by every
optimizer (SGD with Nesterov momentum, Adam, AdamW, Adamax, NAdam with decoupled weight
decay, RAdam, RMSprop centered, Adagrad, Adadelta, ASGD, Rprop, LBFGS with a closure and the
strong-Wolfe line search, a custom torch.optim.Optimizer subclass with a step hook), then the
learning-rate schedulers (StepLR, CosineAnnealingWarmRestarts, CyclicLR, PolynomialLR,
ChainedScheduler, SequentialLR, LambdaLR, ExponentialLR, MultiStepLR, CosineAnnealingLR,
LinearLR, a custom _LRScheduler subclass), the optimizer's
state_dict, per-parameter-group options, and stochastic weight averaging
(torch.optim.swa_utils.AveragedModel, SWALR, update_bn).

As the tutorials, plus the command line: --steps (default 50, per optimizer), --epochs
(default 30, for the schedulers), --seed (default 0).
"""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import lr_scheduler
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn

parser = argparse.ArgumentParser(description="torch.optim tour")
parser.add_argument("--steps", type=int, default=50)
parser.add_argument("--epochs", type=int, default=30)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

torch.manual_seed(args.seed)
X = torch.randn(128, 6)
true_w = torch.randn(6, 1)
Y = X @ true_w + 0.1 * torch.randn(128, 1)


def make_model():
    torch.manual_seed(args.seed)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 1))


def param_norm(model):
    return torch.sqrt(sum(p.detach().pow(2).sum() for p in model.parameters())).item()


def train(name, make_optimizer, steps=args.steps):
    model = make_model()
    optimizer = make_optimizer(model.parameters())
    losses = []
    for step in range(steps):
        def closure():
            optimizer.zero_grad()
            loss = F.mse_loss(model(X), Y)
            loss.backward()
            return loss
        loss = optimizer.step(closure)
        losses.append(loss.item())
    shown = ", ".join(f"{v:.5f}" for v in losses[:: max(1, steps // 4)])
    print(f"{name:28s} losses {shown} final {losses[-1]:.6f} |w| {param_norm(model):.5f}")
    return model, optimizer


print("=== optimizers ===")
optimizers = {
    "SGD(nesterov)": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True,
                                               weight_decay=1e-4),
    "SGD(dampening)": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.5, dampening=0.1),
    "Adam": lambda p: torch.optim.Adam(p, lr=1e-2),
    "Adam(amsgrad, maximize=F)": lambda p: torch.optim.Adam(p, lr=1e-2, betas=(0.8, 0.99),
                                                            amsgrad=True, weight_decay=1e-3),
    "AdamW": lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.05),
    "Adamax": lambda p: torch.optim.Adamax(p, lr=2e-2),
    "NAdam(decoupled)": lambda p: torch.optim.NAdam(p, lr=1e-2, weight_decay=0.01,
                                                    decoupled_weight_decay=True),
    "NAdam": lambda p: torch.optim.NAdam(p, lr=1e-2, momentum_decay=4e-3),
    "RAdam": lambda p: torch.optim.RAdam(p, lr=1e-2),
    "RAdam(decoupled)": lambda p: torch.optim.RAdam(p, lr=1e-2, weight_decay=0.01,
                                                    decoupled_weight_decay=True),
    "RMSprop(centered)": lambda p: torch.optim.RMSprop(p, lr=1e-3, alpha=0.9, centered=True,
                                                       momentum=0.5),
    "RMSprop": lambda p: torch.optim.RMSprop(p, lr=1e-3),
    "Adagrad": lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=1e-3,
                                             initial_accumulator_value=0.1),
    "Adadelta": lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.9),
    "ASGD": lambda p: torch.optim.ASGD(p, lr=0.05, t0=10),
    "Rprop": lambda p: torch.optim.Rprop(p, lr=1e-3, etas=(0.5, 1.2), step_sizes=(1e-6, 1)),
}
trained = {}
for name, make in optimizers.items():
    trained[name] = train(name, make)



class SGDMomentum(torch.optim.Optimizer):
    """A custom optimizer, written as the tutorials write one."""

    def __init__(self, params, lr=1e-2, momentum=0.9):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        defaults = dict(lr=lr, momentum=momentum)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["momentum_buffer"] = torch.zeros_like(p)
                buf = state["momentum_buffer"]
                buf.mul_(group["momentum"]).add_(p.grad)
                p.add_(buf, alpha=-group["lr"])
                state["step"] += 1
        return loss


steps_seen = []
model, optimizer = train("custom SGDMomentum", lambda p: SGDMomentum(p, lr=0.02))
print("custom optimizer state:", optimizer.state_dict()["state"][3]["step"],
      optimizer.state_dict()["state"][3]["momentum_buffer"])
handle = optimizer.register_step_post_hook(lambda opt, args, kwargs: steps_seen.append(1))
optimizer.step()
handle.remove()
optimizer.step()
print("post-step hook calls:", len(steps_seen))

model, optimizer = train("LBFGS(strong_wolfe)",
                         lambda p: torch.optim.LBFGS(p, lr=1, max_iter=20, history_size=10,
                                                     line_search_fn="strong_wolfe"),
                         steps=max(1, args.steps // 10))
state = optimizer.state[model[0].weight]
print(f"LBFGS func_evals {state['func_evals']} n_iter {state['n_iter']}")
model, optimizer = train("LBFGS", lambda p: torch.optim.LBFGS(p, lr=0.5, max_iter=5),
                         steps=max(1, args.steps // 10))

print("=== optimizer state ===")
model, optimizer = trained["Adam(amsgrad, maximize=F)"]
sd = optimizer.state_dict()
for key, value in sd["param_groups"][0].items():
    print(f"  {key}: {value}")
print("state keys:", sorted(sd["state"][0].keys()), "step", sd["state"][0]["step"])
print("exp_avg of the last bias:", sd["state"][3]["exp_avg"])
model, optimizer = trained["ASGD"]
print("ASGD state of the last bias:", optimizer.state_dict()["state"][3])
model, optimizer = trained["NAdam"]
last_bias = optimizer.state[model[2].bias]
print(f"NAdam mu_product {last_bias['mu_product']}, step {last_bias['step']}, "
      f"{last_bias['step'].item():.0f} steps, dtype {last_bias['step'].dtype}")
model, optimizer = trained["Rprop"]
print("Rprop step sizes of the last bias:", optimizer.state_dict()["state"][3]["step_size"])
print(optimizer)

# per-parameter options
model = make_model()
optimizer = torch.optim.SGD([
    {"params": model[0].parameters()},
    {"params": model[2].parameters(), "lr": 1e-3}
], lr=1e-2, momentum=0.9)
for group in optimizer.param_groups:
    print(f"group lr {group['lr']} momentum {group['momentum']} "
          f"params {[tuple(p.shape) for p in group['params']]}")
optimizer.add_param_group({"params": [torch.zeros(3, requires_grad=True)], "lr": 0.5})
print("groups after add_param_group:", len(optimizer.param_groups),
      [g["lr"] for g in optimizer.param_groups])

# ------------------------------------------------------------ schedulers
print("=== schedulers ===")


def run_schedule(name, make_scheduler, epochs=args.epochs, lr=0.1, metric=False,
                 batch_steps=False):
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = F.mse_loss(model(X), Y)
        loss.backward()
        optimizer.step()
        lrs.append(optimizer.param_groups[0]["lr"])
        if metric:
            scheduler.step(loss.item())
        else:
            scheduler.step()
    print(f"{name:30s} lr " + " ".join(f"{v:.5g}" for v in lrs[:: max(1, epochs // 10)]))
    print(f"{'':30s} last_lr {[round(v, 8) for v in scheduler.get_last_lr()]} "
          f"loss {loss.item():.6f}")
    return scheduler


run_schedule("StepLR", lambda o: lr_scheduler.StepLR(o, step_size=5, gamma=0.5))
run_schedule("MultiStepLR", lambda o: lr_scheduler.MultiStepLR(o, milestones=[5, 12, 20],
                                                               gamma=0.3))
run_schedule("ExponentialLR", lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9))
run_schedule("CosineAnnealingLR", lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10,
                                                                           eta_min=1e-3))
run_schedule("CosineAnnealingWarmRestarts",
             lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2,
                                                                eta_min=1e-4))
run_schedule("CyclicLR(triangular2)",
             lambda o: lr_scheduler.CyclicLR(o, base_lr=1e-3, max_lr=0.1, step_size_up=3,
                                             mode="triangular2"))
run_schedule("CyclicLR(exp_range)",
             lambda o: lr_scheduler.CyclicLR(o, base_lr=1e-3, max_lr=0.1, step_size_up=2,
                                             step_size_down=4, mode="exp_range",
                                             gamma=0.95))
run_schedule("PolynomialLR", lambda o: lr_scheduler.PolynomialLR(o, total_iters=8,
                                                                 power=2.0))
run_schedule("LinearLR", lambda o: lr_scheduler.LinearLR(o, start_factor=0.1,
                                                         total_iters=6))
run_schedule("ConstantLR", lambda o: lr_scheduler.ConstantLR(o, factor=0.5, total_iters=4))
run_schedule("LambdaLR", lambda o: lr_scheduler.LambdaLR(o, lr_lambda=lambda e: 0.95 ** e))
run_schedule("MultiplicativeLR",
             lambda o: lr_scheduler.MultiplicativeLR(o, lr_lambda=lambda e: 0.97))
run_schedule("ChainedScheduler", lambda o: lr_scheduler.ChainedScheduler([
    lr_scheduler.ConstantLR(o, factor=0.1, total_iters=2),
    lr_scheduler.ExponentialLR(o, gamma=0.9)]))
run_schedule("SequentialLR(warmup, cosine)", lambda o: lr_scheduler.SequentialLR(
    o, schedulers=[lr_scheduler.LinearLR(o, start_factor=0.01, total_iters=5),
                   lr_scheduler.CosineAnnealingLR(o, T_max=20)], milestones=[5]))
run_schedule("OneCycleLR", lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1,
                                                             total_steps=args.epochs))
run_schedule("ReduceLROnPlateau",
             lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=2,
                                                      threshold=0.05),
             metric=True)


class WarmupCosine(lr_scheduler._LRScheduler):
    """A custom schedule, as many repositories write one (on the old base-class name)."""

    def __init__(self, optimizer, warmup_epochs, max_epochs, last_epoch=-1):
        self.warmup_epochs, self.max_epochs = warmup_epochs, max_epochs
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch < self.warmup_epochs:
            return [base_lr * (self.last_epoch + 1) / self.warmup_epochs
                    for base_lr in self.base_lrs]
        progress = (self.last_epoch - self.warmup_epochs) / max(
            1, self.max_epochs - self.warmup_epochs)
        return [base_lr * 0.5 * (1 + math.cos(math.pi * progress)) for base_lr in self.base_lrs]


run_schedule("custom WarmupCosine", lambda o: WarmupCosine(o, 3, args.epochs))


def warmup(epoch):
    return min(1.0, (epoch + 1) / 5)


sched = run_schedule("LambdaLR(warmup) state", lambda o: lr_scheduler.LambdaLR(o, warmup))
print("scheduler state_dict keys:", sorted(sched.state_dict().keys()))
print("last_epoch:", sched.last_epoch, "base_lrs:", sched.base_lrs)

# ------------------------------------------------------------ stochastic weight averaging
print("=== SWA ===")
torch.manual_seed(args.seed)
net = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))
optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
swa_model = AveragedModel(net)
scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
swa_start = args.epochs // 2
swa_scheduler = SWALR(optimizer, swa_lr=0.02, anneal_epochs=3, anneal_strategy="cos")
loader = [(X[i:i + 32], Y[i:i + 32]) for i in range(0, 128, 32)]
for epoch in range(args.epochs):
    for xb, yb in loader:
        optimizer.zero_grad()
        F.mse_loss(net(xb), yb).backward()
        optimizer.step()
    if epoch > swa_start:
        swa_model.update_parameters(net)
        swa_scheduler.step()
    else:
        scheduler.step()
    if epoch % max(1, args.epochs // 6) == 0:
        print(f"epoch {epoch:3d} lr {optimizer.param_groups[0]['lr']:.5f} "
              f"n_averaged {swa_model.n_averaged.item()}")
print("running_mean before update_bn:", swa_model.module[1].running_mean[:4])
update_bn(loader, swa_model)
print("running_mean after update_bn: ", swa_model.module[1].running_mean[:4])
swa_model.eval()
net.eval()
with torch.no_grad():
    print(f"net mse {F.mse_loss(net(X), Y).item():.6f} "
          f"swa mse {F.mse_loss(swa_model(X), Y).item():.6f}")
print("averaged weight:", swa_model.module[0].weight[0, :4].detach())
ema = AveragedModel(net, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(0.9))
for _ in range(3):
    ema.update_parameters(net)
print("ema n_averaged:", ema.n_averaged, "weight:", ema.module[0].weight.data[0, :3])
