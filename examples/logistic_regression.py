"""Lesson 2: logistic regression with nn.Linear, a sigmoid, BCE and optim.SGD.

The full lesson (its explanation, the math of the update, and the code) lives in
tinygrad_sgd/tutorials/logistic_regression.py; this script only runs it. See the options with

    python examples/logistic_regression.py --help
"""
from tinygrad_sgd.tutorials.logistic_regression import main

if __name__ == "__main__":
    main()
