"""Per-operation overhead: train a 2-16-16-1 tanh MLP (full batch of 100 points, MSE loss,
SGD) with tinygrad_sgd and with torch in the same process — the same program on both sides,
from the same initial weights — alternating blocks of steps, and print the median
milliseconds per step of each and the ratio ours/torch.

    python benchmarks/bench_overhead.py [--steps 300] [--threads 1] [--json out.json]
"""
import argparse
import json
import os
import sys
import time

import numpy as np


def make_data(n=100, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    y = (np.sin(3 * X[:, :1]) * X[:, 1:] > 0).astype(np.float32)
    return X, y


def torch_model(sizes=(2, 16, 16, 1), seed=0):
    import torch
    torch.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def step_fn(model, optimizer, loss_fn, X, y):
    """One full-batch training step per call; the same program for both frameworks."""
    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        return loss.item()
    return step


def ours_step_fn(X, y, state_dict, lr=0.1):
    """The MLP with tinygrad_sgd, starting from ``state_dict`` (torch's initial weights)."""
    import tinygrad_sgd as tg
    from tinygrad_sgd.models import MLP
    from tinygrad_sgd.nn import functional as F
    from tinygrad_sgd.optim import SGD
    model = MLP([2, 16, 16, 1], activation="tanh")
    model.load_state_dict(state_dict)
    return step_fn(model, SGD(model.parameters(), lr=lr), F.mse_loss, tg.tensor(X), tg.tensor(y))


def torch_step_fn(X, y, model, lr=0.1):
    import torch
    import torch.nn.functional as F
    return step_fn(model, torch.optim.SGD(model.parameters(), lr=lr), F.mse_loss,
                   torch.tensor(X), torch.tensor(y))


def measure(steps_by_name, n_steps, block=25, warmup=20):
    times = {name: [] for name in steps_by_name}
    for step in steps_by_name.values():
        for _ in range(warmup):
            step()
    done = 0
    while done < n_steps:
        for name, step in steps_by_name.items():
            for _ in range(block):
                t0 = time.perf_counter()
                step()
                times[name].append(time.perf_counter() - t0)
        done += block
    return {name: float(np.median(t)) * 1e3 for name, t in times.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", default=None, help="write the figures here")
    args = ap.parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    X, y = make_data()
    tmodel = torch_model()
    ours = ours_step_fn(X, y, tmodel.state_dict())
    theirs = torch_step_fn(X, y, tmodel)
    # same program, same start: the losses must agree before timing means anything
    a, b = [ours() for _ in range(5)], [theirs() for _ in range(5)]
    assert np.allclose(a, b, rtol=1e-4, atol=1e-6), (a, b)
    res = measure({"tinygrad_sgd": ours, "torch": theirs}, args.steps)
    ratio = res["tinygrad_sgd"] / res["torch"]
    print(f"2-16-16-1 tanh MLP, full batch 100, SGD, {args.steps} steps each "
          f"(torch threads={args.threads})")
    print(f"  tinygrad_sgd {res['tinygrad_sgd']:.3f} ms/step   torch {res['torch']:.3f} "
          f"ms/step   ratio ours/torch {ratio:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"benchmark": "overhead_mlp", **res, "ratio": ratio,
                       "threads": args.threads}, f, indent=2)
    return res


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    main()
