"""Lesson 8 — a deeper MLP: initialisation, BatchNorm, and the diagnostics that show them.

Stack five tanh layers in the previous lesson's model and it may not train, or train badly,
for reasons the loss alone does not show. This lesson trains the same deep MLP three ways and
looks inside (``--variant`` picks one; default all three, side by side):

* ``naive`` — weights ~ N(0, 1). A unit adds ``fan_in`` such terms, so its input to tanh has a
  standard deviation of about √fan_in (≈ 5.5 or 10): tanh is **saturated** (|t| near 1) for
  most units, where its derivative ``1 − t²`` is 0 and the gradient cannot get through.
* ``kaiming`` — weights ~ N(0, 1) · gain / √fan_in with tanh's gain 5/3 (Kaiming He et al.
  2015; torch's ``calculate_gain('tanh')``): every layer keeps its activations at about unit
  size, neither saturating nor shrinking to 0. The last layer is scaled by 0.1 so the first
  predictions are nearly uniform (loss ≈ log 27 = 3.30, not a confident mistake).
* ``batchnorm`` — the same, plus ``BatchNorm1d`` after every Linear (Ioffe & Szegedy 2015):
  standardise each unit over the batch, then scale and shift by the learned γ, β::

      x̂ = (x − mean_batch) / √(var_batch + ε);    y = γ·x̂ + β

  which keeps the pre-activations well-scaled whatever the weights do (the Linear's bias is
  left out: the mean subtraction would cancel it). In ``eval()`` mode it uses the running
  mean and variance it kept while training, so one example can be scored alone.

**The diagnostics** (taken on the last training step; the pictures have a panel per variant):

* ``activations.png`` — the histogram of each tanh layer's outputs. Look for the spikes at
  ±1 (saturation); the lesson prints the mean, the std and the share with |t| > 0.97.
* ``activation_grads.png`` — the histogram of the gradient at each tanh output: in a healthy
  network the layers' gradients have about the same spread; shrinking or growing layer by
  layer means vanishing or exploding gradients.
* ``weight_grads.png`` — each Linear weight's gradient, and the grad:data ratio (std of the
  gradient / std of the weights).
* ``update_ratio.png`` — for every step, log10 of (std of the update lr·grad) / (std of the
  weights): how fast each layer is changing. About −3 (a thousandth per step) is the rough
  rule; far above it the weights thrash, far below they barely learn.

Training is the course's minibatch SGD (32 pairs per step, ``p.data += -lr * p.grad``) on
makemore's 80/10/10 split; weights and batches are drawn from ``Generator()`` seeded with
``--seed``, so runs repeat exactly. Run it::

    python examples/batchnorm.py --steps 2000
"""
import math
import os

import numpy as np

import tinygrad_sgd as tg
import tinygrad_sgd.nn.functional as F
from tinygrad_sgd import nn
from tinygrad_sgd import random as R
from tinygrad_sgd.cli import lesson_main
from tinygrad_sgd.tutorials._common import Flag, close, shared_flags
from tinygrad_sgd.tutorials._lm_common import DATA_HELP, StepBar, moving_average, read_words

LESSON = "batchnorm"
VARIANTS = {"naive": "N(0, 1) weights",
            "kaiming": "weights · (5/3)/√fan_in",
            "batchnorm": "(5/3)/√fan_in + BatchNorm1d"}
TANH_GAIN = 5.0 / 3.0
SATURATED = 0.97

DESCRIPTION = ("A deeper MLP on names trained with naive initialisation, with Kaiming "
               "initialisation, and with BatchNorm: histograms of the tanh activations and "
               "of the gradients per layer, and the update-to-data ratios.")
FLAGS = [
    Flag("--data", str, "names", DATA_HELP),
    Flag("--variant", str, "all", "which model to train (default all three)",
         choices=("all", *VARIANTS)),
    Flag("--block-size", int, 3, "characters of context (default 3)", at_least=1),
    Flag("--embedding", int, 10, "size of each character's vector (default 10)", at_least=1),
    Flag("--hidden", int, 100, "units per hidden layer (default 100)", at_least=1),
    Flag("--layers", int, 5, "hidden tanh layers (default 5)", at_least=1),
    Flag("--batch-size", int, 32, "pairs per step (default 32)", at_least=1),
    Flag("--steps", int, 1000, "SGD steps per model (default 1000)", at_least=1),
    Flag("--lr", float, 0.1, "learning rate (default 0.1)"),
    *shared_flags(
        LESSON, seed=2147483647,
        seed_help="seed of the Generator that draws the weights and the minibatches of each "
                  "model (default 2147483647)",
        out_help=f"folder for the diagnostic pictures (default out/{LESSON})",
        quiet_help="no progress bar; print only the results"),
]


def build_model(variant, vocab_size, block_size, n_embd, n_hidden, n_layers, generator):
    """Embedding → Flatten → [Linear (→ BatchNorm1d) → Tanh] × n_layers → Linear (→
    BatchNorm1d), with the variant's initialisation drawn from ``generator``."""
    batchnorm = variant == "batchnorm"

    def normal(*shape):
        return tg.tensor(R.randn(shape, generator=generator))

    emb = nn.Embedding(vocab_size, n_embd)
    layers = [emb, nn.Flatten()]
    sizes = [block_size * n_embd] + [n_hidden] * n_layers + [vocab_size]
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        last = i == n_layers
        linear = nn.Linear(fan_in, fan_out, bias=not batchnorm)
        layers.append(linear)
        if batchnorm:
            layers.append(nn.BatchNorm1d(fan_out))
        if not last:
            layers.append(nn.Tanh())
    with tg.no_grad():
        emb.weight.copy_(normal(vocab_size, n_embd))
        linears = [m for m in layers if isinstance(m, nn.Linear)]
        for i, linear in enumerate(linears):
            w = normal(*linear.weight.shape)
            if variant != "naive":
                last = i == len(linears) - 1
                w = w * ((1.0 if last else TANH_GAIN) / math.sqrt(linear.in_features))
                if last and not batchnorm:
                    w = w * 0.1                      # a nearly uniform first prediction
            linear.weight.copy_(w)
            if linear.bias is not None:
                linear.bias.zero_()
        if batchnorm:
            layers[-1].weight.mul_(0.1)              # the last γ: the same role as · 0.1
    return nn.Sequential(*layers)


def forward(model, X, keep=False):
    """The logits of ``X`` and, with ``keep``, every tanh output (their gradients retained
    by backward, as the course's ``layer.out.retain_grad()``; else an empty list)."""
    outputs, x = [], X
    for layer in model:
        x = layer(x)
        if keep and isinstance(layer, nn.Tanh):
            x.retain_grad()
            outputs.append(x)
    return x, outputs


def train_variant(variant, data, args, bar):
    """Train one model; returns its losses, update ratios and last-step diagnostics."""
    train, val = data
    g = R.Generator().manual_seed(args.seed)
    model = build_model(variant, train.tokenizer.vocab_size, args.block_size, args.embedding,
                        args.hidden, args.layers, g)
    params = list(model.parameters())
    weights = [(f"linear {i + 1} {tuple(m.weight.shape)}", m.weight)
               for i, m in enumerate(m for m in model if isinstance(m, nn.Linear))]
    losses, ratios = [], {label: [] for label, _ in weights}
    model.train()
    for i in range(args.steps):
        X, Y = train[R.randint(0, len(train), (args.batch_size,), generator=g)]
        last = i == args.steps - 1
        logits, tanh_out = forward(model, X, keep=last)
        loss = F.cross_entropy(logits, Y)
        for p in params:
            p.grad = None
        loss.backward()
        for label, w in weights:              # before the update, as the course measures it
            ratios[label].append(float(np.log10(args.lr * w.grad.array.std(ddof=1)
                                                / w.array.std(ddof=1))))
        for p in params:
            p.data += -args.lr * p.grad
        losses.append(loss.item())
        bar.update(losses[-1])
    model.eval()
    with tg.no_grad():
        split = {name: F.cross_entropy(model(ds.X), ds.Y).item()
                 for name, ds in (("train", train), ("val", val))}
    return {"losses": losses, "ratios": ratios, "split": split,
            "tanh": [t.detach().numpy() for t in tanh_out],
            "tanh_grads": [t.grad.numpy() for t in tanh_out],
            "weight_grads": [(label, w.grad.numpy(), w.detach().numpy()) for label, w in weights]}


def report(variant, result, log):
    """Print the variant's losses and its per-layer statistics (the numbers of the plots)."""
    log(f"\n== {variant}: {VARIANTS[variant]} ==")
    log(f"loss: first step {result['losses'][0]:.4f}, last step {result['losses'][-1]:.4f}; "
        f"train {result['split']['train']:.4f}, val {result['split']['val']:.4f}")
    log("tanh outputs:")
    result["saturation"] = []
    for i, t in enumerate(result["tanh"]):
        saturated = float((np.abs(t) > SATURATED).mean())
        result["saturation"].append(saturated)
        log(f"  tanh {i + 1}: mean {t.mean():+.2f}, std {t.std(ddof=1):.2f}, "
            f"saturated {100 * saturated:.2f}%")
    log("gradients at the tanh outputs:")
    for i, g in enumerate(result["tanh_grads"]):
        log(f"  tanh {i + 1}: mean {g.mean():+.6f}, std {g.std(ddof=1):.3e}")
    log("weight gradients:")
    for label, g, w in result["weight_grads"]:
        log(f"  {label:18s} mean {g.mean():+.6f} | std {g.std(ddof=1):.3e} | grad:data ratio "
            f"{g.std(ddof=1) / w.std(ddof=1):.3e}")


def run(args):
    """Train the chosen variants, print their statistics, draw the diagnostics. Returns
    ``{"variants": {name: {"losses", "ratios", "split", "saturation", "tanh", "tanh_grads",
    "weight_grads"}}, "files"}``."""
    from tinygrad_sgd.data.text import WordDataset
    from tinygrad_sgd.viz.lm_plots import plot_curves, plot_layer_histograms, plot_update_ratios

    words = read_words(args.data, LESSON)
    train, val, _ = WordDataset.splits(words, block_size=args.block_size)
    variants = list(VARIANTS) if args.variant == "all" else [args.variant]
    print(f"{len(words):,} words, {len(train):,} training pairs; {args.layers} tanh layers "
          f"of {args.hidden}; {args.steps} steps per model")
    results = {}
    with StepBar(args.steps * len(variants), LESSON, args.quiet) as bar:
        for variant in variants:
            results[variant] = train_variant(variant, (train, val), args, bar)
            report(variant, results[variant], bar.log)

    files = {name: os.path.join(args.out, f"{name}.png") for name in
             ("activations", "activation_grads", "weight_grads", "update_ratio", "loss")}
    close(plot_layer_histograms(
        {v: [(f"tanh {i + 1}: {100 * s:.1f}% saturated", t) for i, (t, s) in
             enumerate(zip(r["tanh"], r["saturation"]))] for v, r in results.items()},
        files["activations"], title="tanh outputs per layer", xlabel="tanh output"))
    close(plot_layer_histograms(
        {v: [(f"tanh {i + 1}: std {g.std(ddof=1):.1e}", g) for i, g in
             enumerate(r["tanh_grads"])] for v, r in results.items()},
        files["activation_grads"], title="gradients at the tanh outputs", xlabel="gradient"))
    close(plot_layer_histograms(
        {v: [(f"{label}: grad:data {g.std(ddof=1) / w.std(ddof=1):.1e}", g)
             for label, g, w in r["weight_grads"]] for v, r in results.items()},
        files["weight_grads"], title="weight gradients per layer", xlabel="gradient"))
    close(plot_update_ratios({v: r["ratios"] for v, r in results.items()},
                             files["update_ratio"]))
    k = min(50, args.steps)
    close(plot_curves({v: (np.arange(k - 1, args.steps), moving_average(r["losses"], k))
                       for v, r in results.items()}, files["loss"],
                      title=f"training loss (mean of {k} steps)", logy=True))
    if not args.quiet:
        print("\nsaved " + ", ".join(files.values()))
    return {"variants": results, "files": files}


def main(argv=None, prog=None):
    """Run the lesson with the flags in ``argv`` (see ``FLAGS``); ``prog`` names the usage line."""
    return lesson_main(run, DESCRIPTION, FLAGS, argv, prog or LESSON)


if __name__ == "__main__":
    main()
