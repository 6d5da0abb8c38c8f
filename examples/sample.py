"""Sample text from a GPT checkpoint saved by the gpt lesson (examples/gpt.py).

The command lives in tinygrad_sgd/tutorials/sample.py; this script only runs it. See
the options with

    python examples/sample.py --help
"""
from tinygrad_sgd.tutorials.sample import main

if __name__ == "__main__":
    main()
