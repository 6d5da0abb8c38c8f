"""Lesson 3: the perceptron as SGD on the hinge loss; it separates separable data but not XOR.

The full lesson (its explanation, the math of the update, and the code) lives in
tinygrad_sgd/tutorials/perceptron.py; this script only runs it. See the options with

    python examples/perceptron.py --help
"""
from tinygrad_sgd.tutorials.perceptron import main

if __name__ == "__main__":
    main()
