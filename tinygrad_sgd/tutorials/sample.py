"""``tinygrad-sgd sample`` — text from a GPT saved by the ``gpt`` lesson.

The checkpoint holds the model's configuration, its weights and its vocabulary (and whether
it learned a word list), so nothing else is needed::

    tinygrad-sgd gpt --out out/gpt                   (trains, saves out/gpt/ckpt.pt)
    tinygrad-sgd sample --checkpoint out/gpt/ckpt.pt --num 10
    tinygrad-sgd sample --checkpoint out/gpt/ckpt.pt --num 3 --max-new-tokens 500 \\
        --temperature 0.8 --top-k 10

Each sample starts from a newline and draws one character at a time from softmax(logits /
temperature), among the ``--top-k`` most likely if given (see
:func:`tinygrad_sgd.tutorials.gpt.generate_samples`); a model of a word list gives one word
per sample (cut at its newline), a model of prose ``--max-new-tokens`` characters. The draws
come from ``Generator().manual_seed(--seed)``: the same seed, the same samples. They are
printed and written to ``OUT/samples.txt``.
"""
import os

from tinygrad_sgd import random as R
from tinygrad_sgd.cli import lesson_main
from tinygrad_sgd.tutorials._common import Flag, shared_flags
from tinygrad_sgd.tutorials.gpt import CHECKPOINT, generate_samples, load_model

LESSON = "sample"

DESCRIPTION = ("Sample text from a GPT checkpoint saved by the gpt lesson: names from a "
               "model of names, passages from a model of prose.")
FLAGS = [
    Flag("--checkpoint", str, os.path.join("out", "gpt", CHECKPOINT),
         f"the checkpoint (default out/gpt/{CHECKPOINT})"),
    Flag("--num", int, 10, "how many samples (default 10)", at_least=1),
    Flag("--max-new-tokens", int, 200, "longest sample, in characters (default 200)",
         at_least=1),
    Flag("--temperature", float, 1.0, "sampling temperature (default 1.0)"),
    Flag("--top-k", int, 0, "sample among the k most likely characters (default 0: all)",
         at_least=0),
    *shared_flags(
        LESSON, seed=1337, seed_help="seed of the Generator that draws the characters "
                                     "(default 1337)",
        out_help=f"folder for samples.txt (default out/{LESSON})",
        quiet_help="write samples.txt but print nothing"),
]


def run(args):
    """Load, sample, print, write. Returns ``{"samples", "files"}``."""
    if args.temperature <= 0:
        raise SystemExit(f"{LESSON}: --temperature must be positive, got {args.temperature}")
    model, tokenizer, ckpt = load_model(args.checkpoint)
    model.eval()
    words = bool(ckpt.get("words", False))
    samples = generate_samples(model, tokenizer, args.num, args.max_new_tokens,
                               args.temperature, args.top_k,
                               R.Generator().manual_seed(args.seed), words)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "samples.txt")
    separator = "\n" if words else "\n---\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(separator.join(samples) + "\n")
    if not args.quiet:
        print(f"{args.num} samples from {args.checkpoint} (trained {ckpt['step']} steps on "
              f"{ckpt.get('data', '?')}):")
        print(separator.join(samples))
    return {"samples": samples, "files": {"samples": path}}


def main(argv=None, prog=None):
    """Run the command with the flags in ``argv`` (see ``FLAGS``)."""
    return lesson_main(run, DESCRIPTION, FLAGS, argv, prog or LESSON)


if __name__ == "__main__":
    main()
