"""Lesson 7: the MLP language model of Bengio et al. 2003 on names (makemore, part 2).

The full lesson (its explanation, the math, and the code) lives in
tinygrad_sgd/tutorials/makemore_mlp.py; this script only runs it. See the options with

    python examples/makemore_mlp.py --help
"""
from tinygrad_sgd.tutorials.makemore_mlp import main

if __name__ == "__main__":
    main()
