"""Lesson 1: stochastic gradient descent on two Gaussian blobs (the classic "SGD with Python").

The full lesson (its explanation, the math of the update, and the code) lives in
tinygrad_sgd/tutorials/sgd_blobs.py; this script only runs it. See the options with

    python examples/sgd_blobs.py --help
"""
from tinygrad_sgd.tutorials.sgd_blobs import main

if __name__ == "__main__":
    main()
