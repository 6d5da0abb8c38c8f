"""Per-operation overhead: train a 2-16-16-1 tanh MLP (full batch of 100 points, SGD) with
tinygrad_sgd and with torch in the same process, alternating blocks of steps, and print the
median milliseconds per step of each and the ratio ours/torch.

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


def init_weights(sizes=(2, 16, 16, 1), seed=0):
    rng = np.random.default_rng(seed)
    return [((rng.uniform(-1, 1, (o, i)) / np.sqrt(i)).astype(np.float32),
             (rng.uniform(-1, 1, o) / np.sqrt(i)).astype(np.float32))
            for i, o in zip(sizes[:-1], sizes[1:])]


def ours_step_fn(X, y, weights, lr=0.1):
    import tinygrad_sgd as tg
    params = [tg.Tensor(a.copy(), requires_grad=True) for wb in weights for a in wb]
    Xt, yt = tg.Tensor(X), tg.Tensor(y)

    def step():
        h = Xt
        for k in range(0, len(params), 2):
            h = h @ params[k].T + params[k + 1]
            if k < len(params) - 2:
                h = h.tanh()
        loss = ((h - yt) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with tg.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-lr)
        return loss.item()
    return step


def torch_step_fn(X, y, weights, lr=0.1):
    import torch
    params = [torch.tensor(a.copy(), requires_grad=True) for wb in weights for a in wb]
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def step():
        h = Xt
        for k in range(0, len(params), 2):
            h = h @ params[k].T + params[k + 1]
            if k < len(params) - 2:
                h = h.tanh()
        loss = ((h - yt) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-lr)
        return loss.item()
    return step


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
    w = init_weights()
    ours, theirs = ours_step_fn(X, y, w), torch_step_fn(X, y, w)
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
