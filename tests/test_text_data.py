"""Tests for tinygrad_sgd.data.text: the character tokenizer, makemore's word pairs and
splits, GPT-style text streams, and the corpora (search paths, checksums, messages).

The makemore numbers are checked against the course's own code, run here on the same file:
``random.seed(42); random.shuffle(words)``, ``n1 = int(0.8*len(words))``, the build loop.
"""
import configparser
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd.data import (ChecksumError, CharTokenizer, DataLoader, TextStream,
                               WordDataset, load_corpus, load_words, split_words)
from tinygrad_sgd.data import text as text_module
from tinygrad_sgd.data.text import CORPORA, UnknownCharacterError, corpus_path

ROOT = Path(__file__).resolve().parents[1]
SHARED_TEXT = ROOT.parent / "shared" / "data" / "text"
needs_shared = pytest.mark.skipif(not SHARED_TEXT.is_dir(),
                                  reason="needs ../shared/data/text beside the checkout")


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No $TINYGRAD_SGD_DATA and an empty home (so an empty ~/.cache)."""
    monkeypatch.delenv("TINYGRAD_SGD_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


@pytest.fixture
def shared(monkeypatch):
    if not SHARED_TEXT.is_dir():
        pytest.skip("needs ../shared/data/text beside the checkout")
    monkeypatch.setenv("TINYGRAD_SGD_DATA", str(SHARED_TEXT.parent))
    return SHARED_TEXT


def makemore_stoi(words):
    """makemore's vocabulary, as the course writes it."""
    stoi = {s: i + 1 for i, s in enumerate(sorted(set("".join(words))))}
    stoi["."] = 0
    return stoi


def makemore_build(words, stoi, block_size):
    """makemore's build_dataset loop, verbatim (without torch)."""
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return np.array(X, dtype=np.int64).reshape(-1, block_size), np.array(Y, dtype=np.int64)


# ---------------------------------------------------------------- the tokenizer
def test_from_text_numbers_the_sorted_characters_and_round_trips():
    text = "To be, or not to be: that is the question.\n"
    tok = CharTokenizer.from_text(text)
    chars = sorted(set(text))
    assert tok.vocab_size == len(chars) == len(tok.stoi) == len(tok.itos)
    assert tok.stoi == {c: i for i, c in enumerate(chars)}
    assert tok.itos == {i: c for i, c in enumerate(chars)} and tok.end_token is None
    ids = tok.encode(text)
    assert isinstance(ids, list) and ids == [tok.stoi[c] for c in text]
    for form in (ids, np.array(ids), np.array(ids, dtype=np.int32), tg.tensor(np.array(ids))):
        assert tok.decode(form) == text
    assert tok.decode([]) == "" and tok.encode("") == []
    assert tok.decode(np.int64(tok.stoi["q"])) == "q"
    arr = tok.encode_array("be")
    assert arr.dtype == np.int64 and arr.tolist() == [tok.stoi["b"], tok.stoi["e"]]


def test_characters_outside_the_basic_plane_round_trip():
    text = "naïve 😀 café"
    tok = CharTokenizer.from_text(text)
    assert tok.decode(tok.encode(text)) == text
    assert tok.encode("😀") == [tok.stoi["😀"]]


def test_from_words_is_makemores_vocabulary():
    words = ["emma", "olivia", "ava", "zoe"]
    tok = CharTokenizer.from_words(words)
    assert tok.stoi == makemore_stoi(words)
    assert tok.itos[0] == "." and tok.end_token == "."
    assert tok.itos == {i: s for s, i in makemore_stoi(words).items()}
    assert tok.decode(tok.encode("emma.")) == "emma."
    with pytest.raises(ValueError, match="end-of-word token"):
        CharTokenizer.from_words(["st.john"])


def test_unknown_character_is_a_value_error_naming_it():
    tok = CharTokenizer.from_words(["abc"])
    with pytest.raises(ValueError, match=r"character 'Z' \(U\+005A\) at position 2 is not in "
                                         r"the vocabulary of 4 characters \('\.abc'\)"):
        tok.encode("abZc")
    with pytest.raises(KeyError) as info:             # what stoi['Z'] would raise
        tok.encode("Z")
    assert isinstance(info.value, UnknownCharacterError) and info.value.char == "Z"


def test_decode_refuses_bad_ids():
    tok = CharTokenizer.from_text("abc")
    with pytest.raises(ValueError, match=r"id 3 at position 1 is out of range for a "
                                         r"vocabulary of 3 \(ids 0 to 2\)"):
        tok.decode([0, 3])
    with pytest.raises(ValueError, match="id -1"):
        tok.decode(np.array([-1]))
    with pytest.raises(ValueError, match="must be integers, got float32"):
        tok.decode(np.array([1.0], dtype=np.float32))
    with pytest.raises(ValueError, match=r"1-D sequence of ids, got shape \(2, 2\)"):
        tok.decode(tg.tensor(np.zeros((2, 2), dtype=np.int64)))
    with pytest.raises(ValueError, match="empty"):
        CharTokenizer.from_text("")
    with pytest.raises(ValueError, match="repeat"):
        CharTokenizer("aba")


# ---------------------------------------------------------------- makemore: words
def test_emma_gives_makemores_five_pairs():
    """The course prints ``... ---> e, ..e ---> m, .em ---> m, emm ---> a, mma ---> .``"""
    tok = CharTokenizer.from_words(list("abcdefghijklmnopqrstuvwxyz"))
    ds = WordDataset(["emma"], block_size=3, tokenizer=tok)
    X, Y = np.asarray(ds.X), np.asarray(ds.Y)
    assert X.dtype == Y.dtype == np.int64 and X.shape == (5, 3) and len(ds) == 5
    assert X.tolist() == [[0, 0, 0], [0, 0, 5], [0, 5, 13], [5, 13, 13], [13, 13, 1]]
    assert Y.tolist() == [5, 13, 13, 1, 0]
    shown = [f"{tok.decode(x)} ---> {tok.decode([y])}" for x, y in zip(X, Y)]
    assert shown == ["... ---> e", "..e ---> m", ".em ---> m", "emm ---> a", "mma ---> ."]


@pytest.mark.parametrize("block_size", [1, 2, 3, 5, 8])
def test_pairs_equal_makemores_loop(block_size):
    words = ["emma", "olivia", "a", "bo", "isabella", "xavier", "", "zz"]
    ds = WordDataset(words, block_size=block_size)
    X, Y = makemore_build(words, makemore_stoi([w for w in words if w]), block_size)
    np.testing.assert_array_equal(np.asarray(ds.X), X)
    np.testing.assert_array_equal(np.asarray(ds.Y), Y)
    assert len(ds) == sum(len(w) + 1 for w in words)


def test_word_dataset_items_batches_and_the_data_loader():
    ds = WordDataset(["emma", "ava"], block_size=2)
    x, y = ds[1]
    assert isinstance(x, tg.Tensor) and isinstance(y, tg.Tensor)
    assert np.asarray(x).tolist() == np.asarray(ds.X)[1].tolist() and y.shape == ()
    xb, yb = ds[np.array([0, 5, 8])]
    assert xb.shape == (3, 2) and np.asarray(yb).tolist() == np.asarray(ds.Y)[[0, 5, 8]].tolist()
    xs, ys = ds[2:4]
    assert xs.shape == (2, 2) and ys.shape == (2,)
    seen = np.concatenate([np.asarray(b[1]) for b in DataLoader(ds, batch_size=4)])
    np.testing.assert_array_equal(seen, np.asarray(ds.Y))
    assert WordDataset([], block_size=3).X.shape == (0, 3)


def test_word_dataset_refuses_bad_input():
    with pytest.raises(UnknownCharacterError, match=r"word 1 \('cé'\) has the character 'é' "
                                                    r"\(at 1\)"):
        WordDataset(["ab", "cé"], tokenizer=CharTokenizer.from_words(["abc"]))
    with pytest.raises(ValueError, match="block_size must be a positive integer, got 0"):
        WordDataset(["ab"], block_size=0)
    with pytest.raises(ValueError, match="end-of-word token"):
        WordDataset(["ab"], tokenizer=CharTokenizer.from_text("ab"))
    with pytest.raises(TypeError, match="list of words"):
        WordDataset("emma")
    with pytest.raises(ValueError, match="end-of-word token"):
        WordDataset(["st.john"], tokenizer=CharTokenizer.from_words(["stjohn"]))


def test_split_words_is_makemores_shuffle_and_cuts():
    words = [f"w{i}" for i in range(1003)]
    state = random.getstate()
    train, val, test = split_words(words)
    assert random.getstate() == state and words[:2] == ["w0", "w1"]   # nothing disturbed
    expected = list(words)
    random.seed(42)
    random.shuffle(expected)
    random.setstate(state)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    assert (train, val, test) == (expected[:n1], expected[n1:n2], expected[n2:])
    assert [len(p) for p in split_words(words, (0.5, 0.5), seed=0)] == [501, 502]
    with pytest.raises(ValueError, match="sum to 1"):
        split_words(words, (0.8, 0.1))


@needs_shared
def test_makemore_names_splits_and_shapes_are_the_courses(shared):
    """32,033 names (``wc -l`` says 32,032: the file has no final newline); the course prints
    Xtr (182625, 3), Xdev (22655, 3), Xte (22866, 3) for block size 3."""
    words = load_words("makemore_names")
    assert len(words) == 32033 and words[:3] == ["emma", "olivia", "ava"]
    train, val, test = split_words(words)
    assert (len(train), len(val), len(test)) == (25626, 28829 - 25626, 32033 - 28829)
    datasets = WordDataset.splits(words, block_size=3)
    assert [tuple(d.X.shape) for d in datasets] == [(182625, 3), (22655, 3), (22866, 3)]
    assert [tuple(d.Y.shape) for d in datasets] == [(182625,), (22655,), (22866,)]
    stoi = makemore_stoi(words)
    for ds, part in zip(datasets, (train, val, test)):
        assert ds.words == part and ds.tokenizer.stoi == stoi
        X, Y = makemore_build(part, stoi, 3)
        np.testing.assert_array_equal(np.asarray(ds.X), X)
        np.testing.assert_array_equal(np.asarray(ds.Y), Y)


# ---------------------------------------------------------------- GPT: a stream of text
TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n" * 20


def test_text_stream_splits_ninety_ten():
    stream = TextStream(TEXT, block_size=8)
    ids = stream.tokenizer.encode(TEXT)
    n = int(0.9 * len(ids))
    assert np.asarray(stream.train_data).tolist() == ids[:n]
    assert np.asarray(stream.val_data).tolist() == ids[n:]
    assert stream.train_data.dtype == np.int64 and stream.vocab_size == len(set(TEXT))


def test_get_batch_draws_windows_and_their_next_characters():
    stream = TextStream(TEXT, block_size=8)
    data = np.asarray(stream.train_data)
    x, y = stream.get_batch("train", 16, generator=tg.random.Generator().manual_seed(3))
    assert x.shape == y.shape == (16, 8) and x.dtype == y.dtype == np.int64
    import torch                                      # torch's draws for the same seed
    ix = torch.randint(len(data) - 8, (16,), generator=torch.Generator().manual_seed(3)).numpy()
    np.testing.assert_array_equal(np.asarray(x), np.stack([data[i:i + 8] for i in ix]))
    np.testing.assert_array_equal(np.asarray(y), np.stack([data[i + 1:i + 9] for i in ix]))
    xv, yv = stream.get_batch("val", 4, generator=tg.random.Generator().manual_seed(0))
    val = stream.tokenizer.decode(stream.val_data)
    for row_x, row_y in zip(np.asarray(xv), np.asarray(yv)):
        window = stream.tokenizer.decode(np.append(row_x, row_y[-1]))
        assert window in val and stream.tokenizer.decode(row_y) == window[1:]


def test_get_batch_follows_the_library_seed():
    stream = TextStream(TEXT, block_size=4)
    tg.random.manual_seed(7)
    first = np.asarray(stream.get_batch("train", 5)[0])
    tg.random.manual_seed(7)
    assert np.array_equal(np.asarray(stream.get_batch("train", 5)[0]), first)


def test_text_stream_errors():
    stream = TextStream("abcdefghij" * 2, block_size=3)        # val: 2 ids
    with pytest.raises(ValueError, match="the val part has 2 ids, too few for windows of "
                                         "block_size 3"):
        stream.get_batch("val", 1)
    with pytest.raises(ValueError, match="'train' or 'val', got 'test'"):
        stream.get_batch("test", 1)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        stream.get_batch("train", 0)
    with pytest.raises(ValueError, match=r"split must be in \(0, 1\]"):
        TextStream("abc", block_size=1, split=0)
    with pytest.raises(UnknownCharacterError, match="'!'"):
        TextStream("ab!", block_size=1, tokenizer=CharTokenizer.from_text("ab"))


@needs_shared
def test_shakespeare_stream(shared):
    stream = TextStream(load_corpus("shakespeare"), block_size=64)
    assert stream.vocab_size == 76
    x, y = stream.get_batch("val", 2, generator=tg.random.Generator().manual_seed(0))
    assert x.shape == (2, 64) and np.array_equal(np.asarray(x)[:, 1:], np.asarray(y)[:, :-1])


# ---------------------------------------------------------------- corpora
def test_names_ships_with_the_package(isolated):
    path = corpus_path("names")
    assert path == Path(text_module.__file__).with_name("corpora") / "names.txt"
    words = load_words("names")
    assert len(words) == 5163 and all(w.isalpha() and w.islower() for w in words)
    if SHARED_TEXT.is_dir():
        assert path.read_bytes() == (SHARED_TEXT / "names.txt").read_bytes()


def test_setup_cfg_installs_the_packaged_corpora():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    pattern = cfg["options.package_data"]["tinygrad_sgd.data"].strip()
    packaged = {p.name for p in (ROOT / "tinygrad_sgd" / "data").glob(pattern)}
    assert "names.txt" in packaged
    assert packaged <= {c.file for c in CORPORA.values()}


def test_missing_corpus_says_where_it_looked_and_how_to_provide_it(isolated):
    with pytest.raises(FileNotFoundError) as info:
        load_corpus("shakespeare")
    message = str(info.value)
    home = isolated / "home"
    assert "corpus 'shakespeare' (shakespeare.txt" in message
    assert str(home / ".cache" / "tinygrad_sgd" / "text" / "shakespeare.txt") in message
    assert "$TINYGRAD_SGD_DATA is not set" in message
    assert "--data FILE" in message and "TINYGRAD_SGD_DATA=/path/to/data" in message
    with pytest.raises(FileNotFoundError, match="makemore/master/names.txt"):
        load_words("makemore_names")
    with pytest.raises(FileNotFoundError, match="no such file.*names, surnames"):
        load_corpus(isolated / "nothing.txt")


def test_corpora_are_found_in_the_data_folder_and_the_cache(isolated, monkeypatch):
    good = "alpha\nbeta\n\ngamma\n"
    cache = isolated / "home" / ".cache" / "tinygrad_sgd" / "text"
    cache.mkdir(parents=True)
    (cache / "surnames.txt").write_text(good)
    corpus = CORPORA["surnames"]
    monkeypatch.setitem(CORPORA, "surnames",
                        corpus._replace(md5s=(text_module.md5sum(cache / "surnames.txt"),)))
    assert load_words("surnames") == ["alpha", "beta", "gamma"]
    data = isolated / "data" / "text"
    data.mkdir(parents=True)
    shutil.copyfile(cache / "surnames.txt", data / "surnames.txt")
    monkeypatch.setenv("TINYGRAD_SGD_DATA", str(data.parent))
    assert corpus_path("surnames") == data / "surnames.txt"          # before the cache


@needs_shared
def test_a_corrupted_copy_is_refused(isolated, monkeypatch):
    folder = isolated / "data" / "text"
    folder.mkdir(parents=True)
    copy = folder / "surnames.txt"
    shutil.copyfile(SHARED_TEXT / "surnames.txt", copy)
    monkeypatch.setenv("TINYGRAD_SGD_DATA", str(folder.parent))
    assert len(load_words("surnames")) == 88799                     # the good copy loads
    data = bytearray(copy.read_bytes())
    data[1000] = ord("Q")
    copy.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match="checksum mismatch: expected md5 "
                                            "e811a76d1d41cede00f169e9c591f0bf"):
        load_corpus("surnames")
    assert len(load_corpus(copy)) == len(data)         # given by path, it is read as it is


@needs_shared
def test_known_checksums_match_the_shared_files():
    for corpus in CORPORA.values():
        assert text_module.md5sum(SHARED_TEXT / corpus.file) in corpus.md5s
