"""How fast could an im2col + BLAS training step of the tutorial CNN be on this machine?

Times, in one process: torch's whole training step (forward, NLL, backward, SGD momentum), and
the matrix products alone that tinygrad_sgd's step runs through NumPy's BLAS — the same
shapes, each on its own in a warm loop, whole or in cache-sized slabs (the faster), so at
their best (in a real step they also compete
for cache with everything else). Their sum is a floor for this way of computing: no copies,
no pooling, no Python. If the floor alone is more than 0.6x torch's step, a step at 0.6x
torch's time is out of reach for the im2col formulation with this BLAS.

    python benchmarks/blas_floor.py [--batch-sizes 64,256] [--json FILE]

One thread on both sides (OpenBLAS and torch), set before NumPy starts.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)


def products(n):
    """(name, rows, inner, columns) of each product in one step at batch n, as the engine
    computes them: W·cols forward, cols·dYᵀ weight gradients, and conv2's row-wise input
    gradient (conv1 needs none: its input is the data). The linear layers are left out."""
    return [("conv1 forward  W(10x25) . cols", 10, 25, 24 * 24 * n),
            ("conv2 forward  W(20x250) . cols", 20, 250, 8 * 8 * n),
            ("conv1 weight grad  cols . dYt", 25, 24 * 24 * n, 10),
            ("conv2 weight grad  cols . dYt", 250, 8 * 8 * n, 20),
            ("conv2 input grad  W'(50x100) . G", 50, 100, 8 * 12 * n)]


def by_slabs(a, b, width):
    """a·b whole (width None), or cut along its longest dimension into slabs of ``width``
    (columns of b, or the inner dimension, summing the partial products), whichever
    the engine would do; the fastest is kept: a floor should be the best case."""
    if width is None:
        return np.matmul(a, b)
    if b.shape[1] >= a.shape[1]:
        out = np.empty((a.shape[0], b.shape[1]), dtype=a.dtype)
        for s in range(0, b.shape[1], width):
            out[:, s:s + width] = np.matmul(a, b[:, s:s + width])
        return out
    acc = np.zeros((a.shape[0], b.shape[1]), dtype=a.dtype)
    for s in range(0, a.shape[1], width):
        acc += np.matmul(a[:, s:s + width], b[s:s + width])
    return acc


def median_ms(fn, repeat=50):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1e3


def measure(n):
    import torch
    import bench_mnist_cnn as bench
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    rows = []
    for name, m, k, cols in products(n):
        a = rng.random((m, k), dtype=np.float32)
        b = rng.random((k, cols), dtype=np.float32)
        if "weight grad" in name:     # dYᵀ: a transposed view of the (F, positions) gradient
            b = rng.random((cols, k), dtype=np.float32).T
        rows.append({"product": name, "gflop": 2 * m * k * cols / 1e9,
                     "ms": min(median_ms(lambda: by_slabs(a, b, width))
                               for width in (None, 1024, 2048, 4096))})
    step = bench.torch_stepper(bench._batches(n))
    torch_ms = median_ms(step, repeat=60)
    floor = sum(r["ms"] for r in rows)
    return {"batch": n, "products": rows, "products_ms": floor, "torch_step_ms": torch_ms,
            "ratio": floor / torch_ms}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch-sizes", default="64,256")
    ap.add_argument("--json", default=os.path.join(HERE, "results", "blas_floor.json"))
    args = ap.parse_args(argv)
    results = [measure(int(n)) for n in args.batch_sizes.split(",")]
    for r in results:
        print(f"batch {r['batch']} (1 thread): the matrix products of one step, each alone")
        for p in r["products"]:
            print(f"  {p['product']:<34} {p['ms']:7.3f} ms  {p['gflop'] / p['ms'] * 1e3:6.1f} "
                  f"GFLOP/s")
        print(f"  {'sum of the products':<34} {r['products_ms']:7.3f} ms")
        print(f"  {'torch, the whole step':<34} {r['torch_step_ms']:7.3f} ms")
        print(f"  products alone / torch's step: {r['ratio']:.2f}  (goal for the whole step: "
              f"0.6)\n")
    if args.json:
        os.makedirs(os.path.dirname(args.json), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
