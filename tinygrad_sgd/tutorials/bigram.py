"""Lesson 6 — the bigram language model: count, sample, score; then learn it by gradient descent.

A character-level language model gives the probability of the next character. The smallest
one looks at one character only — the previous one. Every word is read as a chain of pairs
(bigrams) framed by an end token ``.``::

    emma  →  .e  em  mm  ma  a.

**Counting.** Tally every pair in the word list into a V×V matrix ``N`` (V = 27: the 26
letters and ``.``; ``N[i, j]`` is how often j follows i — ``counts.png`` draws it). Each row,
normalised, is a probability distribution over the next character::

    P = (N + 1) / (N + 1).sum(1, keepdim=True)        the +1 ("smoothing") keeps every P > 0

**Sampling.** Start at ``.``, draw the next character from its row of ``P`` with
``multinomial``, move to that row, repeat until ``.`` comes up again. With
``Generator().manual_seed(2147483647)`` the draws are the course's, name for name.

**Scoring.** The model's quality is the likelihood it gives the data, a product of P's;
its log is a sum, and the average negative log-likelihood is the loss::

    nll = -(1/n) · Σ log P[x_k, y_k]          over all n pairs (x_k, y_k)

The course adds one log-probability at a time to a float32 running total; this lesson does
the same additions in the same order, and prints the course's number (2.4543561935424805 on
its 32,033 names) — beside the mean computed with a more accurate sum (2.4545767...): over
228,146 terms, float32's rounding of each partial sum shows in the fourth decimal.

**The same model as a network.** Encode the previous character as a one-hot row ``x`` and
multiply by a V×V weight matrix ``W``: ``x·W`` picks row x of W — "log-counts" (logits).
``exp`` makes them positive counts, normalising rows makes them probabilities (this is
softmax), and the loss is the same nll. Gradient descent on ``W``::

    logits = xenc @ W;  counts = logits.exp();  probs = counts / counts.sum(1, keepdim=True)
    loss = -probs[arange(n), ys].log().mean() + reg · (W**2).mean()
    W.grad = None;  loss.backward();  W.data += -lr · W.grad

drives ``exp(W)``'s rows towards the count matrix's: the network reaches the counting model's
loss (the lesson prints both side by side; ``loss.png`` draws it). The ``reg`` term pulls W
towards 0, i.e. towards equal probabilities — the gradient-descent twin of the +1 smoothing.
With the same seed the network samples (nearly) the same names as the counts.

Run it::

    python examples/bigram.py --data makemore_names       (the course's names)
"""
import os

import numpy as np

import tinygrad_sgd as tg
from tinygrad_sgd import random as R
from tinygrad_sgd.cli import lesson_main
from tinygrad_sgd.tutorials._common import Flag, close, shared_flags
from tinygrad_sgd.tutorials._lm_common import (DATA_HELP, StepBar, one_hot, read_words,
                                               sample_words)

LESSON = "bigram"

DESCRIPTION = ("The bigram character model: count the pairs of a word list, sample names "
               "and score the model; then learn the same model as a one-layer network on "
               "one-hot inputs by gradient descent.")
FLAGS = [
    Flag("--data", str, "names", DATA_HELP),
    Flag("--smoothing", int, 1, "fake count added to every pair (default 1)", at_least=0),
    Flag("--samples", int, 5, "names sampled from each model (default 5)", at_least=0),
    Flag("--epochs", int, 200, "full-batch gradient-descent steps of the network "
         "(default 200)", at_least=1),
    Flag("--lr", float, 50.0, "learning rate of the network (default 50)"),
    Flag("--reg", float, 0.01, "weight of the regularisation term mean(W²) (default 0.01)"),
    *shared_flags(
        LESSON, seed=2147483647,
        seed_help="seed of the torch-style Generator that draws the samples and the "
                  "network's initial W (default 2147483647, the course's)",
        out_help=f"folder for counts.png and loss.png (default out/{LESSON})",
        quiet_help="no progress bar; print only the results"),
]


def bigrams(words, tokenizer=None):
    """The (previous, next) id pairs of every word framed by ``.``, word after word as the
    course's loop makes them: ``xs``, ``ys`` (int64 arrays) and the tokenizer."""
    from tinygrad_sgd.data.text import WordDataset
    ds = WordDataset(words, block_size=1, tokenizer=tokenizer)
    return ds.X.array[:, 0], ds.Y.array, ds.tokenizer


def count_matrix(xs, ys, vocab_size):
    """``N[i, j]``: how many pairs (i, j) there are (int32, as the course's)."""
    return np.bincount(xs * vocab_size + ys, minlength=vocab_size ** 2) \
        .reshape(vocab_size, vocab_size).astype(np.int32)


def counting_model(N, smoothing=1):
    """``P``: the rows of ``N + smoothing`` normalised to sum to 1 (float32 Tensor)."""
    P = (tg.tensor(N) + smoothing).float()
    return P / P.sum(1, keepdim=True)


def average_nll(P, xs, ys):
    """``-Σ log P[x, y] / n`` two ways: as the course computes it — each log-probability
    added in turn to a float32 running total (``log_likelihood += logprob``), replayed by
    NumPy's ``add.accumulate`` in float32, same additions in the same order — and as
    ``-logprobs.mean()``, whose sum is accumulated more accurately. They differ in the
    fourth decimal: float32 rounds every partial sum of a long running total."""
    logprobs = P[xs, ys].log()
    log_likelihood = np.add.accumulate(logprobs.detach().numpy(), dtype=np.float32)[-1]
    course = float(np.float32(-log_likelihood) / np.float32(len(xs)))
    return course, (-logprobs.mean()).item()


def network_probs(W, xenc):
    """softmax of ``xenc @ W`` along the rows, written out: exp, then normalise."""
    counts = (xenc @ W).exp()
    return counts / counts.sum(1, keepdim=True)


def run(args):
    """Count, sample and score; train the network. Returns ``{"counts", "nll", "nll_mean",
    "samples", "losses", "nlls", "net_nll", "net_samples", "W", "files"}``: the count
    matrix, the counting model's average NLL (the course's float32 running sum, and the
    mean), its samples, the network's loss (with the reg term) and NLL per epoch (before
    that epoch's step), its final NLL, its samples, the final W and the PNG paths."""
    from tinygrad_sgd.viz.lm_plots import plot_bigram_counts, plot_curves

    words = read_words(args.data, LESSON)
    xs, ys, tok = bigrams(words)
    V, n = tok.vocab_size, len(xs)
    print(f"{len(words):,} words, {n:,} bigrams, vocabulary of {V}: {''.join(tok.itos.values())}")

    # ---- the counting model
    N = count_matrix(xs, ys, V)
    P = counting_model(N, args.smoothing)
    g = R.Generator().manual_seed(args.seed)
    samples = sample_words(lambda context: P.array[context[-1]], 1, tok.itos, args.samples, g)
    nll, nll_mean = average_nll(P, xs, ys)
    if samples:
        print(f"\nsampled from the counts (seed {args.seed}):")
        print("\n".join("  " + s for s in samples))
    print(f"\ncounting model (+{args.smoothing} smoothing), average negative log-likelihood:\n"
          f"  {nll!r}  (the course's float32 running sum)\n"
          f"  {nll_mean!r}  (-logprobs.mean())")

    # ---- the same model as a one-layer network on one-hot inputs
    g = R.Generator().manual_seed(args.seed)
    W = tg.tensor(R.randn((V, V), generator=g), requires_grad=True)
    xenc = one_hot(xs, V)
    rows = np.arange(n)
    losses, nlls = [], []
    every = max(1, args.epochs // 10)
    with StepBar(args.epochs, LESSON, args.quiet) as bar:
        for epoch in range(args.epochs):
            probs = network_probs(W, xenc)
            data_loss = -probs[rows, ys].log().mean()
            loss = data_loss + args.reg * (W ** 2).mean()
            W.grad = None
            loss.backward()
            W.data += -args.lr * W.grad
            losses.append(loss.item())
            nlls.append(data_loss.item())
            bar.update(losses[-1])
            if not args.quiet and (epoch % every == 0 or epoch == args.epochs - 1):
                bar.log(f"epoch {epoch:4d}: loss {losses[-1]:.4f} (nll {nlls[-1]:.4f})")

    with tg.no_grad():
        probs = network_probs(W, xenc)
        net_nll = (-probs[rows, ys].log().mean()).item()
        table = network_probs(W, one_hot(np.arange(V), V)).detach().numpy()
    g = R.Generator().manual_seed(args.seed)
    net_samples = sample_words(lambda context: table[context[-1]], 1, tok.itos,
                               args.samples, g)
    print(f"\n{'':14s}{'counting':<22s}network (after {args.epochs} epochs)")
    print(f"{'average NLL':14s}{nll:<22.4f}{net_nll:.4f}")
    for i, (a, b) in enumerate(zip(samples, net_samples)):
        print(f"{'sample ' + str(i + 1):14s}{a:<22s}{b}")

    files = {"counts": os.path.join(args.out, "counts.png"),
             "loss": os.path.join(args.out, "loss.png")}
    close(plot_bigram_counts(N, tok.itos, files["counts"],
                             title=f"bigram counts of {args.data} ({n:,} pairs)"))
    epochs = np.arange(len(nlls))
    close(plot_curves({"network: nll": (epochs, nlls),
                       f"network: nll + {args.reg}·mean(W²)": (epochs, losses)},
                      files["loss"], title="The one-hot network learns the bigram counts",
                      xlabel="epoch", hlines={"counting model": nll}))
    if not args.quiet:
        print(f"\nsaved {files['counts']} and {files['loss']}")
    return {"counts": N, "nll": nll, "nll_mean": nll_mean, "samples": samples,
            "losses": losses, "nlls": nlls, "net_nll": net_nll, "net_samples": net_samples,
            "W": W.detach().numpy(), "files": files}


def main(argv=None, prog=None):
    """Run the lesson with the flags in ``argv`` (see ``FLAGS``); ``prog`` names the usage line."""
    return lesson_main(run, DESCRIPTION, FLAGS, argv, prog or LESSON)


if __name__ == "__main__":
    main()
