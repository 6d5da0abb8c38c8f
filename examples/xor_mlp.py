"""Lesson 4: a two-layer MLP trained with SGD solves XOR.

The full lesson (its explanation, the math of the update, and the code) lives in
tinygrad_sgd/tutorials/xor_mlp.py; this script only runs it. See the options with

    python examples/xor_mlp.py --help
"""
from tinygrad_sgd.tutorials.xor_mlp import main

if __name__ == "__main__":
    main()
