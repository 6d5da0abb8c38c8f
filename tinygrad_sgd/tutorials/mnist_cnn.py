"""Lesson 5 — the classic PyTorch MNIST example: a small CNN trained with SGD + momentum.

The network (``tinygrad_sgd.models.SimpleCNN``)::

    conv(1→10, 5×5) → max_pool(2) → relu → conv(10→20, 5×5) → max_pool(2) → relu
    → flatten (320) → linear(320→50) → relu → dropout(0.5) → linear(50→10) → log_softmax

is trained on mini-batches of 64 images with the negative log-likelihood loss and
``SGD(lr=0.01, momentum=0.9)``:  b ← 0.9·b + g,  θ ← θ − 0.01·b.  After each epoch it is
evaluated on the 10,000 test images. The whole loop is the one you would write in PyTorch:

    for x, y in loader:
        optimizer.zero_grad()
        loss = F.nll_loss(model(x), y)
        loss.backward()
        optimizer.step()

Data: MNIST's training split when it is on disk or downloadable, else Fashion-MNIST (same
format; Debian's ``dataset-fashion-mnist`` package) — the program says which it used.
"""
import os
import sys
import time

import numpy as np

from ..cli import lesson_main
from ._common import Flag, shared_flags

DATASETS = ("auto", "mnist", "fashion-mnist")

# The command line, one row per flag (``--help`` prints them); the last three rows are the
# flags every lesson takes.
DESCRIPTION = ("Train the PyTorch-tutorial CNN on MNIST (or Fashion-MNIST) with SGD + momentum, "
               "report test accuracy, save a checkpoint and figures.")
FLAGS = [
    Flag("--dataset", str, "auto", "auto: MNIST if its training split is available, else "
         "Fashion-MNIST", choices=DATASETS),
    Flag("--epochs", int, 5, None),
    Flag("--batch-size", int, 64, None),
    Flag("--test-batch-size", int, 1000, None),
    Flag("--lr", float, 0.01, None),
    Flag("--momentum", float, 0.9, None),
    Flag("--limit", int, None, "train on the first N training images only (quick runs)"),
    Flag("--test-limit", int, None, "evaluate on the first N test images only"),
    Flag("--data-dir", str, None, "folder with the IDX files (else $TINYGRAD_SGD_DATA, "
         "~/.cache/tinygrad_sgd, /usr/share/datasets/fashion-mnist)"),
    *shared_flags("mnist", seed=1, out_help="folder for the checkpoint and figures",
                  quiet_help="no progress bars; one line per epoch"),
]


def load_data(name, data_dir=None, log=print):
    """(train, test, which) for ``name`` in DATASETS; 'auto' falls back to Fashion-MNIST."""
    from ..data import MNIST, FashionMNIST
    if name in ("auto", "mnist"):
        try:
            train = MNIST(root=data_dir, train=True)
            return train, MNIST(root=data_dir, train=False), "MNIST"
        except FileNotFoundError as e:
            if name == "mnist":
                raise
            log(f"MNIST's training split is not available here (not found on disk and not "
                f"downloadable: {type(e).__name__}); training on Fashion-MNIST instead.")
    train = FashionMNIST(root=data_dir, train=True)
    return train, FashionMNIST(root=data_dir, train=False), "Fashion-MNIST"


def evaluate(model, dataset, batch_size=1000, limit=None):
    """(mean NLL, accuracy, predictions) of ``model`` on ``dataset``, without recording."""
    from .. import from_numpy, no_grad
    from ..nn import functional as F
    n = len(dataset) if limit is None else min(limit, len(dataset))
    model.eval()
    total, preds = 0.0, []
    with no_grad():
        for i in range(0, n, batch_size):
            x, y = dataset[np.arange(i, min(i + batch_size, n))]
            out = model(from_numpy(x))
            total += F.nll_loss(out, from_numpy(y), reduction="sum").item()
            preds.append(out.argmax(dim=1).detach().numpy())
    preds = np.concatenate(preds)
    return total / n, float((preds == dataset.targets[:n]).mean()), preds


def train_epoch(model, loader, optimizer, epoch, epochs, quiet):
    """One pass over ``loader``; returns (mean loss, accuracy) over the epoch."""
    from ..nn import functional as F
    model.train()
    seen = correct = 0
    loss_sum = 0.0
    bar = None
    if not quiet:
        from tqdm import tqdm
        bar = tqdm(total=len(loader), desc=f"epoch {epoch}/{epochs}", unit="batch",
                   leave=True, dynamic_ncols=True)
    for x, y in loader:
        optimizer.zero_grad()
        out = model(x)
        loss = F.nll_loss(out, y)
        loss.backward()
        optimizer.step()
        n = len(y)
        seen += n
        loss_sum += loss.item() * n
        correct += int((out.array.argmax(axis=1) == y.array).sum())
        if bar is not None:
            bar.update(1)
            bar.set_postfix({"loss": f"{loss_sum / seen:.4f}", "acc": f"{correct / seen:.3f}"},
                            refresh=False)
    if bar is not None:
        bar.close()
    return loss_sum / seen, correct / seen


def run(args, log=print):
    """Train and evaluate; returns a dict with the figures printed and the files written."""
    import tinygrad_sgd as tg
    from ..data import DataLoader
    from ..models import SimpleCNN
    from ..optim import SGD
    from ..viz import plots

    tg.manual_seed(args.seed)
    train, test, which = load_data(args.dataset, args.data_dir, log)
    log(f"dataset: {which} ({len(train)} training images from {train.source}; "
        f"{len(test)} test images)")
    train_set = train if args.limit is None else (train.data[:args.limit],
                                                  train.targets[:args.limit])
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)  # (manual_seed)
    model = SimpleCNN()
    optimizer = SGD(model.parameters(), lr=args.lr, momentum=args.momentum)

    history = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        loss, acc = train_epoch(model, loader, optimizer, epoch, args.epochs, args.quiet)
        test_loss, test_acc, preds = evaluate(model, test, args.test_batch_size,
                                              args.test_limit)
        for key, value in zip(history, (loss, acc, test_loss, test_acc)):
            history[key].append(value)
        log(f"epoch {epoch}: train loss {loss:.4f}  train acc {acc:.2%}  "
            f"test loss {test_loss:.4f}  test acc {test_acc:.2%}")
    seconds = time.perf_counter() - start

    os.makedirs(args.out, exist_ok=True)
    checkpoint = os.path.join(args.out, "simple_cnn.pt")
    tg.save(model.state_dict(), checkpoint)
    files = {"checkpoint": checkpoint}
    if args.epochs > 0:
        files["loss_curve"] = os.path.join(args.out, "loss.png")
        plots.plot_loss({"train": history["train_loss"], "test": history["test_loss"]},
                        path=files["loss_curve"], title=f"SimpleCNN on {which}")
        targets = test.targets[:len(preds)]
        right, wrong = np.flatnonzero(preds == targets)[:3], np.flatnonzero(preds != targets)[:3]
        pick = np.concatenate([right, wrong])
        grid = os.path.join(args.out, "predictions.png")
        plots.plot_image_grid(test.data[pick], targets[pick], preds[pick], path=grid,
                              class_names=test.classes, ncols=3,
                              title="3 right (green) and 3 wrong (red) test predictions")
        files["predictions"] = grid
    summary = (f"{which}: {args.epochs} epochs in {seconds:.1f} s, final test accuracy "
               f"{history['test_acc'][-1]:.2%}" if args.epochs else f"{which}: no training")
    log(summary)
    log("wrote " + ", ".join(files.values()))
    return {"dataset": which, "seconds": seconds, "files": files, "summary": summary,
            **history}


def main(argv=None, prog=None):
    """Run the lesson with the flags in ``argv`` (see ``FLAGS``); ``prog`` names the usage line."""
    return lesson_main(run, DESCRIPTION, FLAGS, argv, prog)


if __name__ == "__main__":
    main(sys.argv[1:])
