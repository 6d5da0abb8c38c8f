"""Data: the IDX reader, MNIST / Fashion-MNIST, the DataLoader and small synthetic sets."""

from .idx import IDXError, read_idx
from .loader import DataLoader, TensorDataset, next_batch
from .mnist import MNIST, ChecksumError, FashionMNIST, download_file
from .synthetic import make_blobs, make_logistic, make_separable, make_xor
from .text import CharTokenizer, TextStream, WordDataset, load_corpus, load_words, split_words

__all__ = ["IDXError", "read_idx", "MNIST", "FashionMNIST", "ChecksumError", "download_file",
           "DataLoader", "TensorDataset", "next_batch", "make_blobs", "make_xor", "make_logistic",
           "make_separable", "CharTokenizer", "WordDataset", "TextStream", "split_words",
           "load_corpus", "load_words"]
