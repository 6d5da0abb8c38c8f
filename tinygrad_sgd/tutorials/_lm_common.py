"""What the language-model lessons share (``bigram``, ``mlp``, ``batchnorm``, ``backprop``,
``gpt``, ``sample``): a progress bar counted in optimisation steps, reading the ``--data``
word list or text, one-hot rows, and sampling words one character at a time.

Every random draw goes through :mod:`tinygrad_sgd.random` with an explicit
:class:`~tinygrad_sgd.random.Generator`, as the course seeds ``torch.Generator()`` — so the
same seed gives the course's weights, batches and samples.
"""
import numpy as np

from .. import Tensor, from_numpy
from .. import random as R
from ._common import EpochBar

END = "."      # makemore's end-of-word token (id 0)

DATA_HELP = ("a word list, one word per line: a corpus name (names: 5,163 first names, "
             "shipped; surnames; makemore_names: the course's 32,033 names) or the path of "
             "a file (default names)")


class StepBar(EpochBar):
    """:class:`~._common.EpochBar` counted in optimisation steps: one ``update(loss)`` per
    step (the postfix shows the latest loss, and ``lr`` when given)."""

    def __init__(self, steps, desc, quiet=False):
        super().__init__(steps, desc, quiet)
        if self.bar is not None:
            self.bar.unit = "step"

    def update(self, loss, lr=None, steps=1):
        if self.bar is not None:
            postfix = {"loss": f"{loss:.4f}"}
            if lr is not None:
                postfix["lr"] = f"{lr:.2e}"
            self.bar.set_postfix(postfix, refresh=False)
            self.bar.update(steps)


def read_words(data, lesson):
    """The word list ``data`` names (see :func:`tinygrad_sgd.data.text.load_words`); a
    missing or corrupt corpus ends the program with the loader's message (where it looked,
    how to provide the file) rather than a traceback."""
    from ..data.mnist import ChecksumError
    from ..data.text import load_words
    try:
        words = load_words(data)
    except (FileNotFoundError, ChecksumError, UnicodeDecodeError) as e:
        raise SystemExit(f"{lesson}: {e}") from None
    if not words:
        raise SystemExit(f"{lesson}: {data} holds no words")
    return words


def read_text(data, lesson):
    """The whole text of ``data`` (a corpus name or a file), as :func:`read_words` does."""
    from ..data.mnist import ChecksumError
    from ..data.text import load_corpus
    try:
        text = load_corpus(data)
    except (FileNotFoundError, ChecksumError, UnicodeDecodeError) as e:
        raise SystemExit(f"{lesson}: {e}") from None
    if not text:
        raise SystemExit(f"{lesson}: {data} is empty")
    return text


def one_hot(ids, num_classes):
    """Row ``k`` is all zeros but a 1 at ``ids[k]``: a float32 Tensor of shape
    ``ids.shape + (num_classes,)`` (torch's ``F.one_hot(ids, num_classes).float()``)."""
    ids = np.asarray(ids.detach().numpy() if isinstance(ids, Tensor) else ids)
    return from_numpy(np.eye(num_classes, dtype=np.float32)[ids])


def sample_words(next_probs, block_size, itos, num, generator):
    """``num`` words drawn one character at a time: start from a context of ``block_size``
    end tokens, draw the next id from ``next_probs(context)`` (a 1-D array of probabilities)
    with ``multinomial(p, 1, generator=generator)``, shift it into the context, stop at the
    end token. Returns the words, each with its final ``'.'`` (as the course prints them)."""
    words = []
    for _ in range(num):
        context, out = [0] * block_size, []
        while True:
            p = np.asarray(next_probs(context), dtype=np.float32).reshape(-1)
            ix = int(R.multinomial(p, 1, replacement=True, generator=generator)[0])
            out.append(itos[ix])
            context = context[1:] + [ix]
            if ix == 0:
                break
        words.append("".join(out))
    return words


def moving_average(values, k):
    """The mean of each run of ``k`` consecutive values (fewer values when k is larger)."""
    values = np.asarray(values, dtype=np.float64)
    k = max(1, min(k, len(values)))
    return np.convolve(values, np.ones(k) / k, mode="valid")
