"""Lesson 9: the MLP's backward pass written by hand, tensor by tensor, checked against autograd.

The full lesson (its explanation, the math, and the code) lives in
tinygrad_sgd/tutorials/backprop.py; this script only runs it. See the options with

    python examples/backprop.py --help
"""
from tinygrad_sgd.tutorials.backprop import main

if __name__ == "__main__":
    main()
