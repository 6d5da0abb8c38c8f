"""The compiled kernels train as the NumPy ones do: the tutorial CNN, 5 epochs on full
Fashion-MNIST from ``manual_seed(seed)`` alone (the same initial weights, batches and dropout
masks), once with ``TINYGRAD_SGD_KERNELS=numpy`` and once with ``=numba``, each in a fresh
process; reports both test accuracies and the largest per-batch loss difference.

    python benchmarks/kernels_accuracy.py [--seeds 1,2,3] [--epochs 5] [--json out.json]

The two kernel sets add float32 numbers in different orders, so the weights drift apart by
rounding over thousands of steps (as ours and torch's do): the accuracies agree to a few tenths
of a point, not exactly.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def train(seed, epochs, batch_size=64):
    """Train ours (in this process, whatever kernel set is active) and return the figures."""
    sys.path.insert(0, os.path.join(HERE, ".."))
    import tinygrad_sgd as tg
    from tinygrad_sgd import kernels
    from tinygrad_sgd.data import DataLoader, FashionMNIST
    from tinygrad_sgd.models import SimpleCNN
    from tinygrad_sgd.nn import functional as F

    train_set, test = FashionMNIST(train=True), FashionMNIST(train=False)
    tg.manual_seed(seed)
    model = SimpleCNN()
    loader = DataLoader((train_set.data, train_set.targets), batch_size=batch_size, shuffle=True)
    opt = tg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    losses = []
    model.train()
    for _ in range(epochs):
        for x, y in loader:
            opt.zero_grad()
            loss = F.nll_loss(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    model.eval()
    with tg.no_grad():
        pred = np.concatenate([model(tg.from_numpy(test.data[i:i + 1000])).argmax(dim=1).numpy()
                               for i in range(0, len(test), 1000)])
    return {"kernels": kernels.backend(), "accuracy": float((pred == test.targets).mean()),
            "losses": losses, "predictions": pred.tolist()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--json", default=os.path.join(HERE, "results", "kernels_accuracy.json"))
    ap.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(train(args.worker, args.epochs)))
        return
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        runs = {}
        for backend in ("numpy", "numba"):
            env = dict(os.environ, TINYGRAD_SGD_KERNELS=backend)
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", str(seed),
                                  "--epochs", str(args.epochs)], env=env, check=True,
                                 capture_output=True, text=True)
            runs[backend] = json.loads(out.stdout.strip().splitlines()[-1])
            assert runs[backend]["kernels"] == backend, runs[backend]["kernels"]
        a, b = runs["numpy"], runs["numba"]
        diff = np.abs(np.array(a["losses"]) - np.array(b["losses"]))
        row = {"seed": seed, "epochs": args.epochs, "accuracy_numpy": a["accuracy"],
               "accuracy_numba": b["accuracy"],
               "accuracy_difference_points": 100 * (b["accuracy"] - a["accuracy"]),
               "max_loss_difference": float(diff.max()),
               "loss_difference_first_100_batches": float(diff[:100].max()),
               "same_test_predictions": int(np.sum(np.array(a["predictions"]) ==
                                                   np.array(b["predictions"])))}
        rows.append(row)
        print(f"seed {seed}: NumPy kernels {a['accuracy']:.2%}, numba kernels {b['accuracy']:.2%} "
              f"({row['accuracy_difference_points']:+.2f} points); largest per-batch loss "
              f"difference {row['max_loss_difference']:.3g} (first 100 batches "
              f"{row['loss_difference_first_100_batches']:.2g}); same prediction on "
              f"{row['same_test_predictions']} of 10000", flush=True)
    diffs = [abs(r["accuracy_difference_points"]) for r in rows]
    print(f"mean |difference| {np.mean(diffs):.2f} points over {len(rows)} seeds")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
