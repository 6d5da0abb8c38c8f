"""Lesson 6: the bigram character model — counting, sampling, and the same model
learned by a one-hot network.

The full lesson (its explanation, the math, and the code) lives in
tinygrad_sgd/tutorials/bigram.py; this script only runs it. See the options with

    python examples/bigram.py --help
"""
from tinygrad_sgd.tutorials.bigram import main

if __name__ == "__main__":
    main()
