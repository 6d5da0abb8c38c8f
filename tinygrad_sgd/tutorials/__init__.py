"""The classic lessons, as runnable programs built on this library.

Each lesson is one module with a teaching docstring (what it shows and the math of its
update), its table of command-line flags ``FLAGS`` (one :class:`~._common.Flag` row per
flag, with its default and its ``--help`` text), ``run(args) -> dict`` (train, print, save
the figures; returns the numbers it printed) and ``main(argv=None, prog=None)``.
Every lesson takes ``--out DIR`` (where its PNGs go, default ``out/<lesson>``), ``--seed``
and ``--quiet``. Run one with ``tinygrad-sgd <command>`` (the commands are in
:data:`tinygrad_sgd.cli.LESSONS`), ``python -m tinygrad_sgd.tutorials.<lesson>`` or
``python examples/<lesson>.py``. While training, a lesson shows a tqdm progress bar on
stderr with the running loss and training accuracy — one step per epoch (``mnist_cnn``: one
bar per epoch, one step per batch); ``--quiet`` turns the bars off (and most lessons then
print less). What a lesson prints stays on stdout. What they share (the ``Flag`` row, the
three common flags, the bar ``EpochBar``, closing a saved figure) is in ``_common``; turning
a table into a parser and checking the command line is :mod:`tinygrad_sgd.cli`'s job.

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

The modules are not imported here: they pull in matplotlib when they plot.
"""
