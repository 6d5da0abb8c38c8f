"""Lesson 10 — a GPT, trained on characters: names by default, Shakespeare if you like.

The MLP of lesson 7 squeezes a fixed window of characters through one layer. A transformer
(Vaswani et al. 2017; GPT: Radford et al. 2018) lets every position **attend** to all the
positions before it, weighing them by how well its query matches their keys, and stacks such
layers. :class:`tinygrad_sgd.models.GPT` is the model of the minimal GPT-2 implementations::

    x = wte[idx] + wpe[positions]
    for each block:   x = x + attention(layer_norm(x));   x = x + mlp(layer_norm(x))
    logits = lm_head(layer_norm(x))          (the head shares its weight with wte)
    attention, per head:  softmax(q·kᵀ/√d, positions ≤ t only) · v

**Data** (:class:`~tinygrad_sgd.data.text.TextStream`): the file's characters, the first 90 %
for training and the rest for validation; a batch is random windows of ``block_size``
characters ``x`` and the same windows one character later ``y`` — every position learns to
predict its next character. A word list is one text with a word per line: the model learns
the newline too, and so where a name ends. (``names.txt`` lists the female names, then the
male ones: its last 10 % — the validation part — are male names only, so the validation loss
stays above the training loss for a reason other than overfitting.)

**Training**, as in nanoGPT: AdamW (weight decay on the matrices only), the learning rate
rising linearly for ``--warmup`` steps (``LinearLR``) then following a cosine down to
``--min-lr`` (``CosineAnnealingLR``; the two joined by ``SequentialLR``), and the gradient's
norm clipped to ``--grad-clip`` (``nn.utils.clip_grad_norm_``) — large early gradients cannot
throw the weights far. Every ``--eval-interval`` steps the lesson prints the mean loss of
``--eval-iters`` batches of each split (the same batches each time) and saves a checkpoint
(``tinygrad_sgd.save``: model, optimizer, generator, the losses so far). ``--resume``
continues from it: the batches and every AdamW moment pick up where they stopped, the
learning-rate schedule is the one of this run's ``--steps``.

**Sampling**: start from a newline and draw each next character from softmax(logits /
``--temperature``), only among the ``--top-k`` most likely if given (lower temperature: safer,
duller text). ``attention.png`` shows, for the start of a sample, what each head of each
layer looks at: row t is position t's weights over positions ≤ t. ``loss.png`` shows the
train and validation losses. ``tinygrad-sgd sample --checkpoint out/gpt/ckpt.pt --num 10``
samples from a saved model later.

Run it::

    python examples/gpt.py                                            (names, ~1 minute)
    python examples/gpt.py --data shakespeare --n-layer 4 --n-embd 128 --block-size 64
"""
import dataclasses
import os
import time

import numpy as np

import tinygrad_sgd as tg
import tinygrad_sgd.nn.functional as F
from tinygrad_sgd import nn
from tinygrad_sgd import random as R
from tinygrad_sgd.cli import lesson_main
from tinygrad_sgd.tutorials._common import Flag, close, shared_flags
from tinygrad_sgd.tutorials._lm_common import StepBar, read_text

LESSON = "gpt"
CHECKPOINT = "ckpt.pt"

DESCRIPTION = ("A character-level GPT (tinygrad_sgd.models.GPT) trained with AdamW, "
               "learning-rate warm-up and cosine decay and gradient clipping; prints the "
               "train/val loss, samples text, saves a checkpoint and pictures of the loss "
               "and of every head's attention.")
FLAGS = [
    Flag("--data", str, "names", "the text: a corpus name (names: shipped; shakespeare; "
         "surnames; makemore_names) or the path of any UTF-8 text file (default names)"),
    Flag("--n-layer", int, 1, "transformer blocks (default 1)", at_least=1),
    Flag("--n-head", int, 4, "attention heads per block (default 4)", at_least=1),
    Flag("--n-embd", int, 16, "width of the model; a multiple of --n-head (default 16)",
         at_least=1),
    Flag("--block-size", int, 32, "characters of context (default 32)", at_least=1),
    Flag("--dropout", float, 0.0, "dropout probability while training (default 0)"),
    Flag("--batch-size", int, 32, "windows per step (default 32)", at_least=1),
    Flag("--steps", int, 1000, "optimisation steps in all (default 1000)", at_least=1),
    Flag("--lr", float, 1e-2, "peak learning rate (default 1e-2)"),
    Flag("--min-lr", float, 1e-3, "learning rate at the end of the cosine (default 1e-3)"),
    Flag("--warmup", int, 100, "steps of linear warm-up (default 100)", at_least=0),
    Flag("--weight-decay", float, 0.1, "AdamW weight decay of the matrices (default 0.1)"),
    Flag("--beta2", float, 0.99, "AdamW's beta2 (default 0.99)"),
    Flag("--grad-clip", float, 1.0, "clip the gradient norm to this (default 1; 0: off)"),
    Flag("--eval-interval", int, 100, "steps between evaluations and checkpoints (default "
         "100)", at_least=1),
    Flag("--eval-iters", int, 20, "batches per split in an evaluation (default 20)",
         at_least=1),
    Flag("--resume", bool, False, "continue from the checkpoint in --out (or --checkpoint)"),
    Flag("--checkpoint", str, "", f"checkpoint file (default OUT/{CHECKPOINT})"),
    Flag("--num-samples", int, 10, "samples printed at the end (default 10)", at_least=0),
    Flag("--max-new-tokens", int, 200, "longest sample, in characters (default 200)",
         at_least=1),
    Flag("--temperature", float, 1.0, "sampling temperature (default 1.0)"),
    Flag("--top-k", int, 0, "sample among the k most likely characters (default 0: all)",
         at_least=0),
    *shared_flags(
        LESSON, seed=1337,
        seed_help="seed of the initial weights (manual_seed), of the batches' and the "
                  "samples' Generators (default 1337)",
        out_help=f"folder for {CHECKPOINT}, loss.png and attention.png (default out/{LESSON})",
        quiet_help="no progress bar; print only the evaluations and the samples"),
]


# ---------------------------------------------------------------------------- the parts
def lr_schedule(optimizer, steps, warmup, min_lr):
    """Linear warm-up from lr/warmup to lr over ``warmup`` steps, then a cosine down to
    ``min_lr`` at step ``steps``: ``SequentialLR(LinearLR, CosineAnnealingLR)``."""
    from tinygrad_sgd.optim import lr_scheduler as S
    warmup = min(warmup, steps)
    parts = []
    if warmup:
        parts.append(S.LinearLR(optimizer, start_factor=1.0 / warmup, end_factor=1.0,
                                total_iters=warmup))
    if steps > warmup:
        parts.append(S.CosineAnnealingLR(optimizer, T_max=steps - warmup, eta_min=min_lr))
    if len(parts) == 1:
        return parts[0]
    return S.SequentialLR(optimizer, parts, milestones=[warmup])


def is_word_list(text):
    """A text of one word per line (names), not prose: no line holds a space."""
    return all(len(line.split()) <= 1 for line in text.splitlines())


def estimate_loss(model, data, batch_size, iters, seed):
    """The mean loss of ``iters`` batches of each split, always the same batches (a
    Generator seeded afresh), with dropout off."""
    model.eval()
    out = {}
    with tg.no_grad():
        for split in ("train", "val"):
            g = R.Generator().manual_seed(seed)
            out[split] = float(np.mean([model(*data.get_batch(split, batch_size, g))[1].item()
                                        for _ in range(iters)]))
    model.train()
    return out


def generate_samples(model, tokenizer, num, max_new_tokens, temperature=1.0, top_k=None,
                     generator=None, words=False):
    """``num`` samples, all drawn in one batch from a newline (the vocabulary's first
    character if it has none): with ``words``, each cut at its first newline (a name; the
    drawing stops once every row has one); else ``max_new_tokens`` characters of text.
    The draws are those of one ``model.generate`` call: chunks continue the same stream."""
    start = tokenizer.stoi.get("\n", 0)
    idx = tg.tensor(np.full((num, 1), start, dtype=np.int64))
    done = 0
    while done < max_new_tokens:        # a few tokens at a time: words stop at their newline
        chunk = min(16, max_new_tokens - done)
        idx = model.generate(idx, chunk, temperature=temperature, top_k=top_k or None,
                             generator=generator)
        done += chunk
        if words and all(start in row[1:] for row in idx.detach().numpy().tolist()):
            break
    texts = [tokenizer.decode(row) for row in idx.detach().numpy()[:, 1:]]
    return [t.split("\n")[0] for t in texts] if words else texts


def attention_weights(model, idx):
    """Every head's attention probabilities on the sequence ``idx`` (1, T), recomputed from
    the blocks' own layers as their forward does: (n_layer, n_head, T, T)."""
    c = model.config
    T, hs = idx.shape[1], c.n_embd // c.n_head
    causal = np.tril(np.ones((T, T), dtype=bool))
    maps = []
    with tg.no_grad():
        x = model.transformer.wte(idx) + model.transformer.wpe(np.arange(T))
        for block in model.transformer.h:
            q, k, _ = block.attn.c_attn(block.ln_1(x)).split(c.n_embd, dim=2)
            q = q.view(1, T, c.n_head, hs).transpose(1, 2)
            k = k.view(1, T, c.n_head, hs).transpose(1, 2)
            scores = (q @ k.transpose(-2, -1)) * (1.0 / np.sqrt(hs))
            scores = tg.tensor(np.where(causal, scores.array, -np.inf).astype(np.float32))
            maps.append(F.softmax(scores, dim=-1).detach().numpy()[0])
            x = block(x)
    return np.stack(maps)


def save_checkpoint(path, model, optimizer, generator, step, tokenizer, words, history, data):
    """Everything needed to sample from the model or to continue training it."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tg.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "generator": generator.get_state(), "step": step,
             "config": dataclasses.asdict(model.config),
             "chars": "".join(tokenizer.itos.values()), "words": words,
             "history": history, "data": data}, path)


def load_model(path):
    """The model, tokenizer and checkpoint dict saved by this lesson at ``path``."""
    from tinygrad_sgd.data.text import CharTokenizer
    from tinygrad_sgd.models import GPT, GPTConfig
    from pickle import UnpicklingError
    from tinygrad_sgd.serialization import CheckpointError
    try:
        ckpt = tg.load(path)
    except (FileNotFoundError, CheckpointError, UnpicklingError) as e:   # (a refused global)
        raise SystemExit(f"{LESSON}: can't read the checkpoint: {e}") from None
    model = GPT(GPTConfig(**ckpt["config"]))
    model.load_state_dict(ckpt["model"])
    return model, CharTokenizer(list(ckpt["chars"])), ckpt


# ---------------------------------------------------------------------------- the lesson
def run(args):
    """Train (or resume), evaluate, sample, draw. Returns ``{"step_losses", "history",
    "samples", "attention", "ms_per_step", "checkpoint", "files"}``: the loss of every step
    run now, the evaluations ``{"step", "train", "val"}`` since the start, the samples, the
    attention maps (layers, heads, T, T), the mean time of a step and the file paths."""
    from tinygrad_sgd.data.text import TextStream, UnknownCharacterError
    from tinygrad_sgd.models import GPT, GPTConfig
    from tinygrad_sgd.viz.lm_plots import plot_attention, plot_curves

    text = read_text(args.data, LESSON)
    ckpt_path = args.checkpoint or os.path.join(args.out, CHECKPOINT)
    g = R.Generator().manual_seed(args.seed)
    history = {"step": [], "train": [], "val": []}
    if args.resume:
        model, tok, ckpt = load_model(ckpt_path)
        start = int(ckpt["step"])
        history = {k: list(v) for k, v in ckpt["history"].items()}
        g.set_state(ckpt["generator"])
        print(f"resuming {ckpt_path} at step {start}")
    else:
        tok, start = None, 0
        tg.manual_seed(args.seed)
        if args.n_embd % args.n_head:
            raise SystemExit(f"{LESSON}: --n-embd ({args.n_embd}) must be a multiple of "
                             f"--n-head ({args.n_head})")
    try:
        data = TextStream(text, model.config.block_size if args.resume else args.block_size,
                          tokenizer=tok)
    except UnknownCharacterError as e:
        raise SystemExit(f"{LESSON}: {args.data} is not the text of {ckpt_path}: {e}") from None
    words = is_word_list(text)
    if not args.resume:
        model = GPT(GPTConfig(vocab_size=data.vocab_size, block_size=args.block_size,
                              n_layer=args.n_layer, n_head=args.n_head, n_embd=args.n_embd,
                              dropout=args.dropout))
    optimizer = model.configure_optimizers(args.weight_decay, args.lr, (0.9, args.beta2))
    if args.resume:
        optimizer.load_state_dict(ckpt["optimizer"])
    scheduler = lr_schedule(optimizer, args.steps, args.warmup, args.min_lr)
    for _ in range(start):                       # the schedule of this run, at the saved step
        scheduler.step()
    print(f"{args.data}: {len(text):,} characters, vocabulary of {data.vocab_size}; "
          f"GPT with {model.get_num_params():,} parameters ({model.config.n_layer} layer(s), "
          f"{model.config.n_head} heads, {model.config.n_embd} wide, block "
          f"{model.config.block_size})")

    def evaluate(step):
        losses = estimate_loss(model, data, args.batch_size, args.eval_iters, args.seed + 1)
        for k, v in (("step", step), *losses.items()):
            history[k].append(v)
        return losses

    step_losses, elapsed = [], 0.0
    model.train()
    with StepBar(args.steps - start, LESSON, args.quiet) as bar:
        for step in range(start, args.steps):
            if step % args.eval_interval == 0 and (step > start or start == 0):
                losses = evaluate(step)
                bar.log(f"step {step}: train loss {losses['train']:.4f}, val loss "
                        f"{losses['val']:.4f}")
                if step > start:
                    save_checkpoint(ckpt_path, model, optimizer, g, step, data.tokenizer,
                                    words, history, args.data)
            tick = time.perf_counter()
            x, y = data.get_batch("train", args.batch_size, generator=g)
            _, loss = model(x, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if args.grad_clip:
                nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
            lr = optimizer.param_groups[0]["lr"]
            optimizer.step()
            scheduler.step()
            elapsed += time.perf_counter() - tick
            step_losses.append(loss.item())
            bar.update(step_losses[-1], lr)
    if start < args.steps:
        losses = evaluate(args.steps)
        print(f"step {args.steps}: train loss {losses['train']:.4f}, val loss "
              f"{losses['val']:.4f}")
    save_checkpoint(ckpt_path, model, optimizer, g, args.steps, data.tokenizer, words,
                    history, args.data)
    ms = 1000 * elapsed / max(1, len(step_losses))
    if step_losses:
        print(f"{ms:.1f} ms per step, {args.batch_size * model.config.block_size / ms * 1000:,.0f}"
              f" tokens per second; saved {ckpt_path}")

    model.eval()
    gen = R.Generator().manual_seed(args.seed + 2)
    samples = generate_samples(model, data.tokenizer, args.num_samples, args.max_new_tokens,
                               args.temperature, args.top_k, gen, words)
    if samples:
        print(f"\nsamples (temperature {args.temperature}"
              f"{f', top-k {args.top_k}' if args.top_k else ''}):")
        print("\n".join(samples) if words else "\n---\n".join(samples))

    files = {"checkpoint": ckpt_path, "loss": os.path.join(args.out, "loss.png"),
             "attention": os.path.join(args.out, "attention.png")}
    curves = {"train (every step)": (np.arange(start, start + len(step_losses)), step_losses)}
    curves.update({f"{split} (evaluation)": (history["step"], history[split])
                   for split in ("train", "val")})
    close(plot_curves(curves, files["loss"], title=f"GPT on {os.path.basename(args.data)}"))
    seq = generate_samples(model, data.tokenizer, 1, model.config.block_size, 1.0, None,
                           R.Generator().manual_seed(args.seed + 3), False)[0]
    tokens = "\n" + seq[:model.config.block_size - 1] if "\n" in data.tokenizer.stoi else seq
    attention = attention_weights(model, tg.tensor([data.tokenizer.encode(tokens)]))
    shown = tokens.strip().replace("\n", " ↵ ")[:60]
    close(plot_attention(attention, tokens, files["attention"],
                         title=f"attention on a sample: {shown}"))
    if not args.quiet:
        print(f"\nsaved {files['loss']} and {files['attention']}")
    return {"step_losses": step_losses, "history": history, "samples": samples,
            "attention": attention, "attention_tokens": tokens, "ms_per_step": ms,
            "checkpoint": ckpt_path, "files": files}


def main(argv=None, prog=None):
    """Run the lesson with the flags in ``argv`` (see ``FLAGS``); ``prog`` names the usage line."""
    return lesson_main(run, DESCRIPTION, FLAGS, argv, prog or LESSON)


if __name__ == "__main__":
    main()
