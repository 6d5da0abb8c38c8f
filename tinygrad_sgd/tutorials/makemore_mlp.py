"""Lesson 7 — a multilayer perceptron language model (Bengio et al. 2003), on names.

The bigram model sees one character; counting gets hopeless with more (27³ = 19,683 rows for
three). Bengio, Ducharme, Vincent and Jauvin's answer: give every character a learned vector
(an **embedding**), concatenate the vectors of the last ``block_size`` characters and let an
MLP predict the next one. Characters used alike get similar vectors, so what the network
learns about one context carries over to similar ones::

    emb    = C[X]                              (B, block, d)   C: V × d, one row per character
    h      = tanh(emb.view(B, block·d) @ W1 + b1)   (B, hidden)
    logits = h @ W2 + b2                       (B, V)
    loss   = cross_entropy(logits, Y)          mean of -log softmax(logits)[Y]

**Data.** Every (context, next character) pair of the word list: ``emma`` with block 3 gives
``... → e``, ``..e → m``, ``.em → m``, ``emm → a``, ``mma → .``. The words are shuffled with
``random.seed(42)`` and cut 80 / 10 / 10 % into **train** (fits the parameters), **val**
(chooses the sizes and rates) and **test** (reported once, at the end) — makemore's split.

**Training** is minibatch SGD exactly as the course writes it: 32 random pairs per step,
``p.data += -lr * p.grad``, the rate 0.1 for the first half of the steps and 0.01 after
(learning-rate decay). The parameters start as the course's: ``randn`` from
``Generator().manual_seed(2147483647)``, in the order C, W1, b1, W2, b2; the minibatches
are ``randint`` draws from the same generator — so the same program in torch gives the same
numbers (the tests check it).

**Choosing the learning rate** (``lr_sweep.png``): from fresh weights, take one step at each
rate of a sweep rising from 10⁻³ to 10⁰. The loss falls while the rate helps and blows up
past the good range; a rate a little below where it is lowest is a good one (≈ 0.1 here).

**Embeddings** (``embedding.png``): with ``--embedding 2`` each character is a point in the
plane, drawn where its vector is (otherwise the picture shows the first two principal
directions of the vectors). Vowels gather; ``.`` and rare letters stand apart.

**Sampling**: start from ``...``, draw from softmax(logits) with ``multinomial``, shift the
character into the context, repeat until ``.``.

The course trains 200,000 steps (val loss ≈ 2.17 on its 32,033 names); the default here is a
short run on the 5,163 shipped names. Run it::

    python examples/makemore_mlp.py --data makemore_names --steps 200000
"""
import os

import numpy as np

import tinygrad_sgd as tg
import tinygrad_sgd.nn.functional as F
from tinygrad_sgd import random as R
from tinygrad_sgd.cli import lesson_main
from tinygrad_sgd.tutorials._common import Flag, close, shared_flags
from tinygrad_sgd.tutorials._lm_common import (DATA_HELP, StepBar, moving_average,
                                               read_words, sample_words)

LESSON = "makemore_mlp"
PARAMS = ("C", "W1", "b1", "W2", "b2")

DESCRIPTION = ("The MLP language model of Bengio et al. 2003 on a list of names: "
               "character embeddings, a tanh hidden layer, minibatch SGD with "
               "learning-rate decay; train/val/test loss, samples, embedding and "
               "learning-rate pictures.")
FLAGS = [
    Flag("--data", str, "names", DATA_HELP),
    Flag("--block-size", int, 3, "characters of context (default 3)", at_least=1),
    Flag("--embedding", int, 10, "size of each character's vector (default 10; 2 draws "
         "them as they are)", at_least=1),
    Flag("--hidden", int, 200, "tanh units (default 200)", at_least=1),
    Flag("--batch-size", int, 32, "pairs per step (default 32)", at_least=1),
    Flag("--steps", int, 10000, "SGD steps (default 10000; the course: 200000)", at_least=1),
    Flag("--lr", float, 0.1, "learning rate of the first half of the steps (default 0.1)"),
    Flag("--lr-final", float, 0.01, "learning rate of the second half (default 0.01)"),
    Flag("--sweep-steps", int, 1000, "steps of the learning-rate sweep from 1e-3 to 1 "
         "(default 1000; 0: no sweep)", at_least=0),
    Flag("--samples", int, 20, "names sampled at the end (default 20)", at_least=0),
    *shared_flags(
        LESSON, seed=2147483647,
        seed_help="seed of the Generator that draws the weights and the minibatches "
                  "(default 2147483647, the course's; the samples use seed + 10)",
        out_help=f"folder for loss.png, lr_sweep.png and embedding.png (default "
                 f"out/{LESSON})",
        quiet_help="no progress bar; print only the results"),
]


def init_params(vocab_size, block_size, n_embd, n_hidden, generator):
    """The course's parameters: standard normal draws from ``generator``, in the order C, W1,
    b1, W2, b2 (a dict of leaf Tensors that require grad)."""
    shapes = {"C": (vocab_size, n_embd), "W1": (block_size * n_embd, n_hidden),
              "b1": (n_hidden,), "W2": (n_hidden, vocab_size), "b2": (vocab_size,)}
    return {name: tg.tensor(R.randn(shapes[name], generator=generator), requires_grad=True)
            for name in PARAMS}


def forward(p, X):
    """The logits (B, V) of the contexts ``X`` (B, block) — the four lines of the model."""
    emb = p["C"][X]                                         # (B, block, d)
    h = (emb.view(emb.shape[0], -1) @ p["W1"] + p["b1"]).tanh()
    return h @ p["W2"] + p["b2"]


def sgd_step(p, X, Y, lr):
    """One step of the course's loop: forward, loss, zero the grads, backward, update."""
    loss = F.cross_entropy(forward(p, X), Y)
    for t in p.values():
        t.grad = None
    loss.backward()
    for t in p.values():
        t.data += -lr * t.grad
    return loss.item()


def split_loss(p, ds):
    """The mean cross entropy over a whole dataset (no graph)."""
    with tg.no_grad():
        return F.cross_entropy(forward(p, ds.X), ds.Y).item()


def lr_sweep(train, sizes, steps, batch_size, seed):
    """From fresh weights (the same seed), one step at each rate of 10**linspace(-3, 0):
    returns the exponents and the loss of each step."""
    g = R.Generator().manual_seed(seed)
    p = init_params(*sizes, generator=g)
    exponents = np.linspace(-3, 0, steps)
    losses = []
    for e in exponents:
        X, Y = train[R.randint(0, len(train), (batch_size,), generator=g)]
        losses.append(sgd_step(p, X, Y, 10.0 ** e))
    return exponents, np.array(losses)


def plane(C):
    """The embedding vectors as points in a plane: themselves when they are 2-D, else their
    coordinates along the two directions of largest spread (principal components)."""
    C = np.asarray(C, dtype=np.float64)
    if C.shape[1] == 2:
        return C, "learned 2-D character embeddings"
    centred = C - C.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T, f"{C.shape[1]}-D character embeddings, first two principal axes"


def run(args):
    """Train, print the split losses and samples, draw the pictures. Returns ``{"losses",
    "split_losses", "samples", "params", "sweep", "files"}``: the minibatch loss of every
    step, the train/val/test losses, the sampled names, the final parameters (NumPy arrays),
    the sweep's (exponents, losses) (None without one) and the PNG paths."""
    from tinygrad_sgd.data.text import WordDataset
    from tinygrad_sgd.viz.lm_plots import plot_curves, plot_embedding, plot_lr_sweep

    words = read_words(args.data, LESSON)
    train, val, test = WordDataset.splits(words, block_size=args.block_size)
    tok = train.tokenizer
    sizes = (tok.vocab_size, args.block_size, args.embedding, args.hidden)
    print(f"{len(words):,} words; pairs: train {len(train):,}, val {len(val):,}, "
          f"test {len(test):,}")

    g = R.Generator().manual_seed(args.seed)
    p = init_params(*sizes, generator=g)
    print(f"{sum(t.numel() for t in p.values()):,} parameters")
    losses = []
    every = max(1, args.steps // 10)
    with StepBar(args.steps, "mlp", args.quiet) as bar:
        for i in range(args.steps):
            X, Y = train[R.randint(0, len(train), (args.batch_size,), generator=g)]
            lr = args.lr if i < args.steps // 2 else args.lr_final
            losses.append(sgd_step(p, X, Y, lr))
            bar.update(losses[-1], lr)
            if not args.quiet and (i % every == 0 or i == args.steps - 1):
                bar.log(f"{i:7d}/{args.steps:7d}: {losses[-1]:.4f}")

    split_losses = {name: split_loss(p, ds) for name, ds in
                    (("train", train), ("val", val), ("test", test))}
    for name, value in split_losses.items():
        print(f"{name:5s} loss {value:.4f}")

    def next_probs(context):
        with tg.no_grad():
            return F.softmax(forward(p, tg.tensor([context])), dim=1).detach().numpy()

    samples = sample_words(next_probs, args.block_size, tok.itos, args.samples,
                           R.Generator().manual_seed(args.seed + 10))
    if samples:
        print("\nsamples:\n" + "\n".join("  " + s for s in samples))

    files = {"loss": os.path.join(args.out, "loss.png"),
             "embedding": os.path.join(args.out, "embedding.png")}
    log10 = np.log10(losses)
    k = min(100, len(losses))
    curves = {"minibatch": (np.arange(len(losses)), log10)}
    if len(losses) > k:
        curves[f"mean of {k} steps"] = (np.arange(k - 1, len(losses)), moving_average(log10, k))
    close(plot_curves(curves, files["loss"], title="MLP training loss", ylabel="log10(loss)",
                      hlines={"val (log10)": np.log10(split_losses["val"])}))
    points, what = plane(p["C"].detach().numpy())
    close(plot_embedding(points, tok.itos, files["embedding"], title=what))
    sweep = None
    if args.sweep_steps:
        sweep = lr_sweep(train, sizes, args.sweep_steps, args.batch_size, args.seed)
        smooth = moving_average(sweep[1], max(1, args.sweep_steps // 40))
        best = sweep[0][len(sweep[0]) - len(smooth) + int(np.nanargmin(smooth))]
        files["lr_sweep"] = os.path.join(args.out, "lr_sweep.png")
        close(plot_lr_sweep(sweep[0], sweep[1], files["lr_sweep"], best=best,
                            title=f"Learning-rate sweep ({args.sweep_steps} steps)"))
        print(f"\nlearning-rate sweep: lowest (smoothed) loss at lr = {10 ** best:.3g}")
    if not args.quiet:
        print("saved " + ", ".join(files.values()))
    return {"losses": losses, "split_losses": split_losses, "samples": samples,
            "params": {k: t.detach().numpy() for k, t in p.items()}, "sweep": sweep,
            "files": files}


def main(argv=None, prog=None):
    """Run the lesson with the flags in ``argv`` (see ``FLAGS``); ``prog`` names the usage line."""
    return lesson_main(run, DESCRIPTION, FLAGS, argv, prog or LESSON)


if __name__ == "__main__":
    main()
