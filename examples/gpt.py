"""Lesson 10: a character-level GPT trained with AdamW, warm-up, cosine decay and clipping.

The full lesson (its explanation, the math, and the code) lives in
tinygrad_sgd/tutorials/gpt.py; this script only runs it. See the options with

    python examples/gpt.py --help
"""
from tinygrad_sgd.tutorials.gpt import main

if __name__ == "__main__":
    main()
