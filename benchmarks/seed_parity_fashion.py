"""Seed parity on Fashion-MNIST: the tutorial CNN trained (one epoch by default) by ours and by
torch from the same ``manual_seed`` alone — no weights copied, no batch order shared: each
library draws its own initial weights, its own shuffled batches (``DataLoader(shuffle=True)``)
and its own dropout masks, and they come out the same because the random numbers are torch's.

    python benchmarks/seed_parity_fashion.py [--train 10000] [--epochs 1] [--seed 1] [--json out.json]

Checks on the way (each batch): the same images in the batch, the same dropout mask; then it
reports the largest difference between the two per-batch losses and both test accuracies
(10,000 test images). Batch 64, SGD lr 0.01 momentum 0.9, as the tutorial. Fashion-MNIST from
``tinygrad_sgd.data.FashionMNIST`` (Debian's dataset-fashion-mnist in
/usr/share/datasets/fashion-mnist).
"""
import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)


def run(n_train=10_000, seed=1, batch_size=64, epochs=1, log=print):
    import torch
    import torch.nn.functional as TF
    from torch_reference import TorchCNN

    import tinygrad_sgd as tg
    import tinygrad_sgd.random as R
    from tinygrad_sgd.data import DataLoader, FashionMNIST
    from tinygrad_sgd.models import SimpleCNN
    from tinygrad_sgd.nn import functional as F

    train, test = FashionMNIST(train=True), FashionMNIST(train=False)
    X, Y = train.data[:n_train], train.targets[:n_train]

    masks, tmasks = [], []                 # watch both dropouts (values unchanged)
    draw, torch_dropout = R.dropout_mask, TF.dropout

    def recorded(*args, **kwargs):
        masks.append(draw(*args, **kwargs))
        return masks[-1]

    def trecorded(x, p=0.5, training=True, inplace=False):
        tmasks.append(torch_dropout(torch.ones_like(x), p, training))   # x·mask is dropout(x)
        return x * tmasks[-1]

    R.dropout_mask, TF.dropout = recorded, trecorded
    try:
        tg.manual_seed(seed)                                    # ours, from the seed alone
        model = SimpleCNN()
        loader = DataLoader((X, Y), batch_size=batch_size, shuffle=True)
        opt = tg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        torch.manual_seed(seed)                                 # torch's, from the seed alone
        tmodel = TorchCNN()
        tloader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)),
            batch_size=batch_size, shuffle=True)
        topt = torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.9)

        same_init = all(np.array_equal(model.state_dict()[k].numpy(), v.numpy())
                        for k, v in tmodel.state_dict().items())
        losses, tlosses, same_batches, same_masks = [], [], 0, 0
        seconds = {"ours": 0.0, "torch": 0.0}
        model.train()
        tmodel.train()
        for _epoch in range(epochs):        # each epoch reshuffles, on both sides
            for (x, y), (tx, ty) in zip(loader, tloader, strict=True):
                same_batches += bool(np.array_equal(y.numpy(), ty.numpy())
                                     and np.array_equal(x.numpy(), tx.numpy()))
                t0 = time.perf_counter()
                opt.zero_grad()
                loss = F.nll_loss(model(x), y)
                loss.backward()
                opt.step()
                t1 = time.perf_counter()
                topt.zero_grad()
                tloss = TF.nll_loss(tmodel(tx), ty)
                tloss.backward()
                topt.step()
                t2 = time.perf_counter()
                seconds["ours"] += t1 - t0
                seconds["torch"] += t2 - t1
                same_masks += bool(np.array_equal(masks[-1], tmasks[-1].numpy()))
                losses.append(loss.item())
                tlosses.append(tloss.item())
    finally:
        R.dropout_mask, TF.dropout = draw, torch_dropout

    model.eval()
    tmodel.eval()
    with tg.no_grad(), torch.no_grad():
        ours = np.concatenate([model(tg.from_numpy(test.data[i:i + 1000])).argmax(dim=1).numpy()
                               for i in range(0, len(test), 1000)])
        theirs = np.concatenate([tmodel(torch.from_numpy(test.data[i:i + 1000])).argmax(1)
                                 .numpy() for i in range(0, len(test), 1000)])
    diff = np.abs(np.array(losses) - np.array(tlosses))
    result = {"n_train": len(X), "seed": seed, "epochs": epochs, "batches": len(losses),
              "same_initial_weights": same_init, "same_batches": same_batches,
              "same_dropout_masks": same_masks,
              "max_loss_difference": float(diff.max()),
              "max_loss_difference_batch": int(diff.argmax()),
              "final_losses": [losses[-1], tlosses[-1]],
              "accuracy_ours": float((ours == test.targets).mean()),
              "accuracy_torch": float((theirs == test.targets).mean()),
              "same_test_predictions": int((ours == theirs).sum()),
              "train_seconds": seconds}
    log(f"{result['batches']} batches of {batch_size} from {len(X)} Fashion-MNIST images, "
        f"seed {seed}: initial weights {'equal' if same_init else 'DIFFERENT'}, "
        f"{same_batches} identical batches, {same_masks} identical dropout masks")
    log(f"largest |loss_ours - loss_torch| over the epoch: {result['max_loss_difference']:.3g} "
        f"(batch {result['max_loss_difference_batch']})")
    log(f"test accuracy: ours {result['accuracy_ours']:.2%}, torch "
        f"{result['accuracy_torch']:.2%}; the same prediction on "
        f"{result['same_test_predictions']} of {len(test)} test images")
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", type=int, default=10_000, help="training images (default 10000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    args = ap.parse_args(argv)
    result = run(args.train, args.seed, epochs=args.epochs)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
