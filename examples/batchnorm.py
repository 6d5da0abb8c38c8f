"""Lesson 8: a deeper MLP with naive init, Kaiming init and BatchNorm, and the
diagnostics that tell them apart.

The full lesson (its explanation, the math, and the code) lives in
tinygrad_sgd/tutorials/batchnorm.py; this script only runs it. See the options with

    python examples/batchnorm.py --help
"""
from tinygrad_sgd.tutorials.batchnorm import main

if __name__ == "__main__":
    main()
