"""tinygrad_sgd.utils.data against torch.utils.data: the same datasets, samplers, collation and
DataLoader give the same items, batches, dtypes, lengths and errors — and, from the same seeds,
the same random orders (the random streams are torch's), epoch after epoch."""
import collections
import re
import warnings

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd.utils import data as ours

torch = pytest.importorskip("torch")
from torch.utils import data as theirs  # noqa: E402


# ------------------------------------------------------------------------------ helpers
def plain(x):
    """A batch (of either library) as plain Python, for comparison: tensors become
    ("tensor", dtype name, shape, values); containers keep their kind."""
    if isinstance(x, (tg.Tensor, torch.Tensor)):
        return ("tensor", str(x.dtype).split(".")[-1], tuple(x.shape), x.tolist())
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, tuple(plain(v) for v in x))
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [plain(v) for v in x])
    if isinstance(x, dict):
        return ("dict", {k: plain(v) for k, v in x.items()})
    if isinstance(x, np.ndarray):
        return ("ndarray", x.dtype.str, x.tolist())
    return (type(x).__name__, x)


def both(make):
    """``make(lib)`` with lib = (torch-like module, data module) for each library."""
    return make(tg, ours), make(torch, theirs)


def same_error(call_ours, call_theirs):
    """Both raise the same exception class with the same message."""
    with pytest.raises(Exception) as theirs_error:
        call_theirs()
    with pytest.raises(type(theirs_error.value), match=re.escape(str(theirs_error.value))):
        call_ours()


def seed_both(seed):
    tg.manual_seed(seed)
    torch.manual_seed(seed)


def streams_agree():
    """The default generators are at the same place: their next draws are equal."""
    assert tg.rand(4).tolist() == torch.rand(4).tolist()


class Squares:
    """A plain map-style dataset (not a Dataset subclass): item i is (i, i*i)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i, i * i


def counting_stream(lib, n):
    class Stream(lib.IterableDataset):
        def __iter__(self):
            return iter(range(n))

        def __len__(self):
            return n
    return Stream()


# ------------------------------------------------------------------------------ datasets
def test_dataset_base_class_needs_getitem_and_adds_to_a_concat():
    same_error(lambda: ours.Dataset()[0], lambda: theirs.Dataset()[0])
    a, b = ours.TensorDataset(tg.arange(3)), ours.TensorDataset(tg.arange(3, 5))
    both_ = a + b
    assert isinstance(both_, ours.ConcatDataset) and len(both_) == 5
    assert [int(both_[i][0]) for i in range(5)] == [0, 1, 2, 3, 4]


def test_tensor_dataset_items_and_length_are_torchs():
    x, y = np.arange(12.0).reshape(6, 2), np.arange(6)
    mine, ref = both(lambda lib, d: d.TensorDataset(lib.tensor(x), lib.tensor(y)))
    assert len(mine) == len(ref) == 6
    for i in (0, 5, -1, slice(1, 4)):
        assert plain(mine[i]) == plain(ref[i])


def test_tensor_dataset_size_mismatch():
    same_error(lambda: ours.TensorDataset(tg.zeros(3), tg.zeros(4)),
               lambda: theirs.TensorDataset(torch.zeros(3), torch.zeros(4)))


def test_concat_dataset_indexes_across_its_parts():
    mine = ours.ConcatDataset([Squares(3), Squares(0), Squares(4)])
    ref = theirs.ConcatDataset([Squares(3), Squares(0), Squares(4)])
    assert mine.cumulative_sizes == ref.cumulative_sizes == [3, 3, 7]
    assert [mine[i] for i in range(-7, 7)] == [ref[i] for i in range(-7, 7)]
    same_error(lambda: mine[-8], lambda: ref[-8])
    same_error(lambda: ours.ConcatDataset([]), lambda: theirs.ConcatDataset([]))
    same_error(lambda: ours.ConcatDataset([counting_stream(ours, 2)]),
               lambda: theirs.ConcatDataset([counting_stream(theirs, 2)]))


def test_chain_dataset_streams_one_after_the_other():
    mine = counting_stream(ours, 3) + counting_stream(ours, 2)
    assert isinstance(mine, ours.ChainDataset)
    assert list(mine) == [0, 1, 2, 0, 1] and len(mine) == 5
    same_error(lambda: list(ours.ChainDataset([Squares(2)])),
               lambda: list(theirs.ChainDataset([Squares(2)])))
    same_error(lambda: len(ours.ChainDataset([Squares(2)])),
               lambda: len(theirs.ChainDataset([Squares(2)])))


def test_subset_items_and_batches():
    mine, ref = ours.Subset(Squares(10), [7, 2, 5]), theirs.Subset(Squares(10), [7, 2, 5])
    assert len(mine) == 3
    assert [mine[i] for i in range(3)] == [ref[i] for i in range(3)] == [(7, 49), (2, 4),
                                                                          (5, 25)]
    assert mine.__getitems__([2, 0]) == ref.__getitems__([2, 0])

    class Batched(Squares):
        def __getitems__(self, indices):
            return [("batch", i) for i in indices]
    assert ours.Subset(Batched(10), [4, 6]).__getitems__([1]) == [("batch", 6)]


def test_subset_subclass_must_override_getitems_too():
    def make(d):
        class Mine(d.Subset):
            def __getitem__(self, idx):
                return 0
        return Mine(Squares(3), [0])
    same_error(lambda: make(ours), lambda: make(theirs))


@pytest.mark.parametrize("n, lengths, seed", [
    (10, [3, 7], 42), (30, [0.3, 0.3, 0.4], 42), (11, [0.5, 0.5], 0), (7, [0.1, 0.9], 3),
    (100, [50, 25, 25], 2147483647), (5, [5], 1)])
def test_random_split_gives_torchs_subsets(n, lengths, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # a zero-length split warns (tested below)
        mine = ours.random_split(range(n), lengths, generator=tg.Generator().manual_seed(seed))
        ref = theirs.random_split(range(n), lengths,
                                  generator=torch.Generator().manual_seed(seed))
    assert [s.indices for s in mine] == [s.indices for s in ref]
    assert [list(s) for s in mine] == [list(s) for s in ref]


def test_random_split_draws_from_the_default_generator():
    seed_both(5)
    mine, ref = ours.random_split(Squares(20), [15, 5]), theirs.random_split(Squares(20), [15, 5])
    assert [s.indices for s in mine] == [s.indices for s in ref]
    streams_agree()


def test_random_split_errors_and_warnings():
    same_error(lambda: ours.random_split(range(10), [3, 3]),
               lambda: theirs.random_split(range(10), [3, 3]))
    same_error(lambda: ours.random_split(range(10), [1.5, -0.5]),
               lambda: theirs.random_split(range(10), [1.5, -0.5]))
    with pytest.warns(UserWarning, match=r"Length of split at index 1 is 0\. This might result "
                                         r"in an empty dataset\."):
        splits = ours.random_split(range(10), [0.99, 0.01])
    assert [len(s) for s in splits] == [10, 0]


# ------------------------------------------------------------------------------ collation
Point = collections.namedtuple("Point", "x y")


def collate_cases(lib):
    """Batches of samples of every kind default_collate handles, built for one library."""
    t = lib.tensor
    return {
        "tensors": [t([1.0, 2.0]), t([3.0, 4.0])],
        "int tensors": [t([1, 2]), t([3, 4])],
        "0-d tensors": [t(1.5), t(2.5)],
        "ints": [1, 2, 3],
        "floats": [0.5, 1.5],
        "bools": [True, False],
        "strings": ["a", "bc"],
        "bytes": [b"a", b"b"],
        "numpy float32 arrays": [np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)],
        "numpy int arrays": [np.arange(3), np.arange(3, 6)],
        "numpy uint8 arrays": [np.arange(4, dtype=np.uint8), np.arange(4, dtype=np.uint8)],
        "numpy scalars": [np.float32(1.5), np.float32(2.0)],
        "numpy int scalars": [np.int32(1), np.int32(7)],
        "numpy bool scalars": [np.bool_(True), np.bool_(False)],
        "numpy float64 scalars": [np.float64(0.25), np.float64(1.0)],
        "tuples": [(t([1.0]), 0), (t([2.0]), 1)],
        "lists": [[1, 2.0], [3, 4.0]],
        "dicts": [{"x": t([1.0]), "y": 0, "name": "a"}, {"x": t([2.0]), "y": 1, "name": "b"}],
        "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
        "nested": [({"a": (1, np.float32(2))}, [0.5]), ({"a": (3, np.float32(4))}, [1.5])],
        "mnist-like": [(np.zeros((1, 2, 2), np.float32), 3), (np.ones((1, 2, 2), np.float32),
                                                              7)],
    }


@pytest.mark.parametrize("case", list(collate_cases(tg)))
def test_default_collate_makes_torchs_batches(case):
    mine = ours.default_collate(collate_cases(tg)[case])
    ref = theirs.default_collate(collate_cases(torch)[case])
    assert plain(mine) == plain(ref)


@pytest.mark.parametrize("case", list(collate_cases(tg)))
def test_default_convert_converts_as_torch(case):
    for sample, torch_sample in zip(collate_cases(tg)[case], collate_cases(torch)[case]):
        converted = ours.default_convert(sample)
        assert plain(converted) == plain(theirs.default_convert(torch_sample))
        if isinstance(sample, tg.Tensor):
            assert converted is sample


def test_default_convert_keeps_string_arrays_and_other_objects():
    arr = np.array(["a", "b"])
    assert ours.default_convert(arr) is arr
    obj = object()
    assert ours.default_convert(obj) is obj


@pytest.mark.parametrize("batch", [
    [object(), object()],
    [None],
    [{1, 2}],
    [np.array(["a", "b"]), np.array(["c", "d"])],
    [np.array([object()]), np.array([object()])],
])
def test_default_collate_errors_are_torchs(batch):
    same_error(lambda: ours.default_collate(batch), lambda: theirs.default_collate(batch))


def test_default_collate_needs_samples_of_equal_length():
    same_error(lambda: ours.default_collate([[1, 2], [3]]),
               lambda: theirs.default_collate([[1, 2], [3]]))


def test_collate_with_a_table_of_rules():
    from tinygrad_sgd.utils.data.collate import collate, default_collate_fn_map

    def count(batch, *, collate_fn_map=None):
        return len(batch)
    out = collate([("a", 1), ("b", 2)], collate_fn_map={**default_collate_fn_map, str: count})
    assert out[0] == 2 and out[1].tolist() == [1, 2]


# ------------------------------------------------------------------------------ samplers
def test_sequential_sampler():
    assert list(ours.SequentialSampler(range(4))) == list(theirs.SequentialSampler(range(4)))
    assert len(ours.SequentialSampler(range(4))) == 4


@pytest.mark.parametrize("kwargs", [
    {}, {"num_samples": 23}, {"num_samples": 3}, {"replacement": True},
    {"replacement": True, "num_samples": 70}, {"replacement": True, "num_samples": 64},
    {"replacement": True, "num_samples": 5}])
@pytest.mark.parametrize("explicit_generator", [False, True])
def test_random_sampler_orders_are_torchs_over_epochs(kwargs, explicit_generator):
    seed_both(3)
    gens = (tg.Generator().manual_seed(11), torch.Generator().manual_seed(11)) \
        if explicit_generator else (None, None)
    mine = ours.RandomSampler(range(10), generator=gens[0], **kwargs)
    ref = theirs.RandomSampler(range(10), generator=gens[1], **kwargs)
    assert len(mine) == len(ref)
    for _ in range(2):
        assert list(mine) == list(ref)
    streams_agree()
    if explicit_generator:
        assert tg.rand(3, generator=gens[0]).tolist() == torch.rand(3, generator=gens[1]).tolist()


@pytest.mark.parametrize("kwargs", [{"replacement": 1}, {"num_samples": 0},
                                    {"num_samples": 2.5}, {"num_samples": -1}])
def test_random_sampler_errors(kwargs):
    same_error(lambda: ours.RandomSampler(range(3), **kwargs),
               lambda: theirs.RandomSampler(range(3), **kwargs))


def test_subset_random_sampler():
    seed_both(8)
    mine, ref = ours.SubsetRandomSampler([5, 9, 2, 7]), theirs.SubsetRandomSampler([5, 9, 2, 7])
    assert [list(mine), list(mine)] == [list(ref), list(ref)]
    assert len(mine) == 4
    streams_agree()


@pytest.mark.parametrize("size, drop_last", [(3, False), (3, True), (5, False), (5, True),
                                             (11, False), (11, True)])
def test_batch_sampler(size, drop_last):
    mine = ours.BatchSampler(ours.SequentialSampler(range(10)), size, drop_last)
    ref = theirs.BatchSampler(theirs.SequentialSampler(range(10)), size, drop_last)
    assert list(mine) == list(ref)
    assert len(mine) == len(ref)


@pytest.mark.parametrize("size, drop_last", [(0, False), (True, False), (2.0, False),
                                             (2, 1)])
def test_batch_sampler_errors(size, drop_last):
    same_error(lambda: ours.BatchSampler(range(3), size, drop_last),
               lambda: theirs.BatchSampler(range(3), size, drop_last))


# ------------------------------------------------------------------------------ DataLoader
def loaders(dataset_of, **kwargs):
    """The same DataLoader in both libraries; ``dataset_of(lib, data_module)``."""
    mine = ours.DataLoader(dataset_of(tg, ours), **{
        k: (v[0] if isinstance(v, tuple) and len(v) == 2 and k in ("generator", "sampler",
                                                                   "batch_sampler") else v)
        for k, v in kwargs.items()})
    ref = theirs.DataLoader(dataset_of(torch, theirs), **{
        k: (v[1] if isinstance(v, tuple) and len(v) == 2 and k in ("generator", "sampler",
                                                                   "batch_sampler") else v)
        for k, v in kwargs.items()})
    return mine, ref


def xy(lib, d):
    return d.TensorDataset(lib.arange(23.0).reshape(23, 1), lib.arange(23))


@pytest.mark.parametrize("kwargs", [
    {}, {"batch_size": 4}, {"batch_size": 4, "drop_last": True}, {"batch_size": 23},
    {"batch_size": 50}, {"batch_size": 5, "shuffle": True},
    {"batch_size": 5, "shuffle": True, "drop_last": True},
    {"batch_size": 1, "shuffle": True}, {"batch_size": None},
    {"batch_size": None, "shuffle": True},
    {"batch_size": 6, "shuffle": True, "num_workers": 0, "pin_memory": False},
])
@pytest.mark.parametrize("explicit_generator", [False, True])
def test_dataloader_batches_are_torchs_over_two_epochs(kwargs, explicit_generator):
    seed_both(2024)
    if explicit_generator:
        kwargs = {**kwargs, "generator": (tg.Generator().manual_seed(7),
                                          torch.Generator().manual_seed(7))}
    mine, ref = loaders(xy, **kwargs)
    assert len(mine) == len(ref)
    for _ in range(2):
        assert [plain(b) for b in mine] == [plain(b) for b in ref]
    streams_agree()


def test_dataloader_of_plain_python_samples():
    seed_both(1)
    mine, ref = loaders(lambda lib, d: Squares(10), batch_size=4, shuffle=True)
    assert [plain(b) for b in mine] == [plain(b) for b in ref]
    mine, ref = loaders(lambda lib, d: [{"v": i, "s": str(i)} for i in range(5)], batch_size=2)
    assert [plain(b) for b in mine] == [plain(b) for b in ref]


def test_dataloader_with_sampler_batch_sampler_and_collate_fn():
    seed_both(4)
    mine, ref = loaders(xy, batch_size=3, sampler=(ours.RandomSampler(range(23),
                                                                      num_samples=10),
                                                   theirs.RandomSampler(range(23),
                                                                        num_samples=10)))
    assert [plain(b) for b in mine] == [plain(b) for b in ref]
    mine, ref = loaders(xy, batch_sampler=([[0, 1], [5, 4, 3], [22]], [[0, 1], [5, 4, 3],
                                                                       [22]]))
    assert [plain(b) for b in mine] == [plain(b) for b in ref] and len(mine) == 3
    mine, ref = loaders(xy, batch_size=5, collate_fn=lambda samples: len(samples))
    assert list(mine) == list(ref) == [5, 5, 5, 5, 3]
    streams_agree()


def test_dataloader_uses_getitems_when_the_dataset_has_it():
    class Batched(ours.Dataset):
        def __len__(self):
            return 5

        def __getitems__(self, indices):
            return [("fetched together", len(indices))] * len(indices)
    batches = list(ours.DataLoader(Batched(), batch_size=2, collate_fn=lambda s: s[0]))
    assert batches == [("fetched together", 2), ("fetched together", 2), ("fetched together", 1)]


@pytest.mark.parametrize("kwargs", [{"batch_size": 3}, {"batch_size": 3, "drop_last": True},
                                    {"batch_size": None}, {"batch_size": 10}])
def test_dataloader_over_an_iterable_dataset(kwargs):
    seed_both(6)
    mine, ref = loaders(lambda lib, d: counting_stream(d, 7), **kwargs)
    assert len(mine) == len(ref)
    assert [plain(b) for b in mine] == [plain(b) for b in ref]
    streams_agree()


@pytest.mark.parametrize("kwargs", [
    {"shuffle": True, "sampler": "S"}, {"batch_sampler": "B", "batch_size": 2},
    {"batch_sampler": "B", "shuffle": True}, {"batch_sampler": "B", "drop_last": True},
    {"batch_sampler": "B", "sampler": "S"}, {"batch_size": None, "drop_last": True},
    {"num_workers": -1}, {"timeout": -1}, {"prefetch_factor": 2},
    {"num_workers": 2, "prefetch_factor": -1}, {"persistent_workers": True},
    {"multiprocessing_context": "spawn"}, {"batch_size": 0}, {"batch_size": 2.0},
])
def test_dataloader_argument_errors_are_torchs(kwargs):
    def make(d):
        args = {k: (d.SequentialSampler(range(23)) if v == "S" else
                    d.BatchSampler(range(23), 2, False) if v == "B" else v)
                for k, v in kwargs.items()}
        return d.DataLoader(Squares(23), **args)
    same_error(lambda: make(ours), lambda: make(theirs))


@pytest.mark.parametrize("kwargs", [{"shuffle": True}, {"sampler": "S"},
                                    {"batch_sampler": "B"}])
def test_iterable_dataset_refuses_samplers(kwargs):
    def make(d):
        args = {k: (d.SequentialSampler(range(3)) if v == "S" else
                    [[0]] if v == "B" else v) for k, v in kwargs.items()}
        return d.DataLoader(counting_stream(d, 3), **args)
    with pytest.raises(ValueError) as theirs_error:
        make(theirs)
    with pytest.raises(ValueError) as ours_error:
        make(ours)
    # the messages print the sampler object, whose repr differs: compare up to it
    assert str(ours_error.value).split(" but got")[0] == \
        str(theirs_error.value).split(" but got")[0]


def test_dataloader_attributes_are_fixed_after_init():
    mine = ours.DataLoader(Squares(3))
    for attr in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                 "persistent_workers"):
        same_error(lambda: setattr(mine, attr, 1),
                   lambda: setattr(theirs.DataLoader(Squares(3)), attr, 1))
    mine.collate_fn = len                      # other attributes may change, as in torch
    assert list(mine) == [1, 1, 1]


def test_worker_options_change_nothing_but_are_checked():
    seed_both(9)
    mine, ref = loaders(xy, batch_size=4, shuffle=True)
    plain_order = [plain(b) for b in mine]
    assert plain_order == [plain(b) for b in ref]
    seed_both(9)
    with_workers = ours.DataLoader(xy(tg, ours), batch_size=4, shuffle=True, num_workers=3,
                                   prefetch_factor=4, timeout=5, worker_init_fn=print,
                                   multiprocessing_context="spawn", in_order=True)
    assert [plain(b) for b in with_workers] == plain_order
    assert ours.get_worker_info() is None


def test_persistent_workers_draw_the_base_seed_once_as_torch():
    """torch (run with two real worker processes) draws the iterator's base seed only in the
    first epoch when workers persist: the default stream must end where torch's does."""
    seed_both(12)
    mine = ours.DataLoader(xy(tg, ours), batch_size=5, shuffle=True, num_workers=2,
                           persistent_workers=True)
    ref = theirs.DataLoader(xy(torch, theirs), batch_size=5, shuffle=True, num_workers=2,
                            persistent_workers=True)
    for _ in range(3):
        assert [plain(b) for b in mine] == [plain(b) for b in ref]
    streams_agree()


def test_timeout_without_workers_fails_at_iteration_as_torch():
    same_error(lambda: iter(ours.DataLoader(Squares(3), timeout=1)),
               lambda: iter(theirs.DataLoader(Squares(3), timeout=1)))


def test_pin_memory_warns_as_torch_without_an_accelerator():
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no "
                                         "accelerator is found, then device pinned memory "
                                         "won't be used."):
        batches = list(ours.DataLoader(Squares(4), batch_size=2, pin_memory=True))
    assert len(batches) == 2


def test_dataloader_over_an_mnist_like_dataset_with_transforms():
    """The MNIST tutorial's data path: (uint8 image -> transform, int label) items, shuffled
    batches of float32 images and int64 labels, as torch's (the same transform in each
    library)."""
    images = np.random.default_rng(0).integers(0, 256, size=(20, 4, 4), dtype=np.uint8)
    labels = np.arange(20) % 10

    def dataset(lib, d):
        class Digits(d.Dataset):
            def __len__(self):
                return 20

            def __getitem__(self, i):
                x = lib.tensor(images[i][None].astype(np.float32) / np.float32(255))
                return (x - 0.1307) / 0.3081, int(labels[i])
        return Digits()
    seed_both(1)
    mine, ref = loaders(dataset, batch_size=8, shuffle=True)
    for b_mine, b_ref in zip(mine, ref):
        assert b_mine[0].dtype == tg.float32 and b_mine[1].dtype == tg.int64
        np.testing.assert_allclose(b_mine[0].numpy(), b_ref[0].numpy(), rtol=1e-6)
        assert b_mine[1].tolist() == b_ref[1].tolist()
