"""Accuracy record: the tutorial CNN trained on Fashion-MNIST by tinygrad_sgd and by torch from
the same initial weights and the same batch order (batch 64, SGD lr 0.01 momentum 0.9, dropout
on while training), then both evaluated on the 10,000 test images.

    python benchmarks/accuracy_fashion.py [--epochs 5] [--limit N] [--json out.json]

(The dropout masks differ — each framework draws its own — so the two runs are twins, not
clones; their accuracies should agree within about half a point.)
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def train_both(n_train=None, epochs=5, batch_size=64, seed=0, log=print):
    """Train both twins; returns {'ours': acc, 'torch': acc, ...}."""
    import torch
    import torch.nn.functional as TF
    from torch_reference import TorchCNN
    import tinygrad_sgd as tg
    from tinygrad_sgd.data import FashionMNIST
    from tinygrad_sgd.models import SimpleCNN
    from tinygrad_sgd.nn import functional as F
    from tinygrad_sgd.optim import SGD

    train, test = FashionMNIST(train=True), FashionMNIST(train=False)
    X, Y = train.data, train.targets
    if n_train is not None:
        X, Y = X[:n_train], Y[:n_train]
    torch.manual_seed(seed)
    tg.manual_seed(seed)
    tmodel = TorchCNN()
    model = SimpleCNN()
    model.load_state_dict(tmodel.state_dict())
    opt = SGD(model.parameters(), lr=0.01, momentum=0.9)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(len(X)) for _ in range(epochs)]   # the same batches for both
    seconds = {"ours": 0.0, "torch": 0.0}
    for epoch, order in enumerate(orders, 1):
        model.train()
        tmodel.train()
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            x, y = X[idx], Y[idx]
            t0 = time.perf_counter()
            opt.zero_grad()
            F.nll_loss(model(tg.from_numpy(x)), tg.from_numpy(y)).backward()
            opt.step()
            t1 = time.perf_counter()
            topt.zero_grad()
            TF.nll_loss(tmodel(torch.from_numpy(x)), torch.from_numpy(y)).backward()
            topt.step()
            t2 = time.perf_counter()
            seconds["ours"] += t1 - t0
            seconds["torch"] += t2 - t1
        log(f"epoch {epoch}/{epochs} done")
    model.eval()
    tmodel.eval()
    with tg.no_grad(), torch.no_grad():
        ours = np.concatenate([model(tg.from_numpy(test.data[i:i + 1000])).argmax(dim=1).numpy()
                               for i in range(0, len(test), 1000)])
        theirs = np.concatenate([tmodel(torch.from_numpy(test.data[i:i + 1000])).argmax(1)
                                 .numpy() for i in range(0, len(test), 1000)])
    return {"ours": float((ours == test.targets).mean()),
            "torch": float((theirs == test.targets).mean()),
            "epochs": epochs, "n_train": len(X), "train_seconds": seconds}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    res = train_both(args.limit, args.epochs, seed=args.seed)
    print(f"Fashion-MNIST, {res['n_train']} training images, {args.epochs} epochs: "
          f"test accuracy tinygrad_sgd {res['ours']:.2%}, torch {res['torch']:.2%} "
          f"(difference {100 * (res['ours'] - res['torch']):+.2f} points); training time "
          f"ours {res['train_seconds']['ours']:.0f} s, torch {res['train_seconds']['torch']:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    return res


if __name__ == "__main__":
    main()
