"""The classic lessons, as runnable programs built on this library.

Each lesson is one module with a teaching docstring (what it shows and the math of its
update), ``build_parser()`` (its command-line flags and ``--help``), ``run(args) -> dict``
(train, print, save the figures; returns the numbers it printed) and
``main(argv=None, prog=None)``.
Every lesson takes ``--out DIR`` (where its PNGs go, default ``out/<lesson>``), ``--seed``
and ``--quiet``. Run one with ``python -m tinygrad_sgd.tutorials.<lesson>`` or
``python examples/<lesson>.py``. While training, a lesson shows a tqdm progress bar on
stderr with the running loss and training accuracy — one step per epoch (``mnist_cnn``: one
bar per epoch, one step per batch); ``--quiet`` turns the bars off (and most lessons then
print less). What a lesson prints stays on stdout. The plumbing they share (those three
flags, ``main()``'s checks of the command line, the bar ``EpochBar``, closing a saved figure)
is in ``_common``.

1. :mod:`~tinygrad_sgd.tutorials.sgd_blobs` — "SGD with Python": one sigmoid unit on two
   Gaussian blobs, the bias trick, mini-batches with ``next_batch`` (``--batch-size 0``: plain
   gradient descent), and which loss the tutorial's gradient Xᵀ·error really comes from.
2. :mod:`~tinygrad_sgd.tutorials.logistic_regression` — ``nn.Linear(2, 1)`` + sigmoid,
   binary cross-entropy and ``optim.SGD`` for 10 000 full-batch epochs; the same program in
   PyTorch prints the same losses.
3. :mod:`~tinygrad_sgd.tutorials.perceptron` — the perceptron as SGD on the hinge loss,
   updating only on mistakes: 100 % on separable data, never more than 75 % on XOR.
4. :mod:`~tinygrad_sgd.tutorials.xor_mlp` — one hidden layer and backpropagation solve XOR;
   the truth table and the curved decision boundary.
5. :mod:`~tinygrad_sgd.tutorials.mnist_cnn` — the classic PyTorch MNIST example: a small
   CNN trained with SGD + momentum on mini-batches of images.

The modules are not imported here (they pull in matplotlib when they plot); ``LESSONS``
maps each ``tinygrad-sgd`` subcommand to its module and a one-line description (``ALIASES``
adds the lessons' file names as alternative commands; ``prog`` sets the usage line)::

    importlib.import_module(LESSONS["xor"][0]).main(["--hidden", "8"], prog="tinygrad-sgd xor")
"""

LESSONS = {
    "mnist": ("tinygrad_sgd.tutorials.mnist_cnn",
              "train the PyTorch-tutorial CNN on MNIST (or Fashion-MNIST)"),
    "sgd": ("tinygrad_sgd.tutorials.sgd_blobs",
            "SGD with Python: one sigmoid unit on two blobs, mini-batches"),
    "logreg": ("tinygrad_sgd.tutorials.logistic_regression",
               "logistic regression with BCE and SGD, 10,000 epochs"),
    "perceptron": ("tinygrad_sgd.tutorials.perceptron",
                   "the perceptron: separates a separable set, fails on XOR"),
    "xor": ("tinygrad_sgd.tutorials.xor_mlp", "a two-layer MLP solves XOR"),
}
ALIASES = {"sgd-blobs": "sgd", "logistic-regression": "logreg", "xor-mlp": "xor",
           "mnist-cnn": "mnist"}

__all__ = ["LESSONS", "ALIASES"]
