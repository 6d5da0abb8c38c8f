"""torch.utils.data and transformer details checked against torch: a custom ``Sampler[int]``,
``DistributedSampler``'s shares, ``ConcatDataset.cummulative_sizes``, a decoder layer's
module activation in its copies (torch's relu), the causal mask's dtypes."""
import warnings

import pytest

import tinygrad_sgd as tg

torch = pytest.importorskip("torch")


def test_sampler_is_generic_as_torch():
    for m in (torch, tg):
        class Evens(m.utils.data.Sampler[int]):
            def __init__(self, n):
                self.n = n

            def __iter__(self):
                return iter(range(0, self.n, 2))

            def __len__(self):
                return (self.n + 1) // 2
        data = m.utils.data.TensorDataset(m.arange(10.0))
        got = [b[0].tolist() for b in m.utils.data.DataLoader(data, batch_size=2,
                                                              sampler=Evens(10))]
        assert got == [[0.0, 2.0], [4.0, 6.0], [8.0]]


@pytest.mark.parametrize("n,replicas,shuffle,drop_last,seed", [
    (10, 3, True, False, 0), (10, 3, True, True, 0), (10, 3, False, False, 0),
    (10, 4, False, True, 0), (2, 5, True, False, 7), (17, 2, True, False, 123)])
def test_distributed_sampler_as_torch(n, replicas, shuffle, drop_last, seed):
    for rank in range(replicas):
        shares = []
        for m in (torch, tg):
            s = m.utils.data.DistributedSampler(list(range(n)), num_replicas=replicas,
                                                rank=rank, shuffle=shuffle, seed=seed,
                                                drop_last=drop_last)
            epochs = []
            for epoch in range(3):
                s.set_epoch(epoch)
                epochs.append(list(s))
            shares.append((len(s), epochs))
        assert shares[0] == shares[1]


def test_distributed_sampler_errors_as_torch():
    with pytest.raises(ValueError, match="Invalid rank"):
        tg.utils.data.DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        tg.utils.data.DistributedSampler(range(4))       # no process group to ask
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        torch.utils.data.DistributedSampler(range(4))


def test_concat_dataset_old_name():
    d = tg.utils.data.ConcatDataset([[1], [2, 3]])
    with pytest.warns(DeprecationWarning):
        assert d.cummulative_sizes == [1, 3]


@pytest.mark.parametrize("activation", ["module", "gelu", "function"])
def test_decoder_layer_copies_activation_as_torch(activation):
    outs = []
    for m in (torch, tg):
        m.manual_seed(0)
        act = {"module": m.nn.GELU(), "gelu": "gelu",
               "function": m.nn.functional.gelu}[activation]
        dec = m.nn.TransformerDecoder(
            m.nn.TransformerDecoderLayer(4, 2, 8, activation=act), 1).eval()
        tgt = m.ones(2, 1, 4).cumsum(-1)
        outs.append(dec(tgt, m.ones(3, 1, 4)).detach().numpy())
    assert abs(outs[0] - outs[1]).max() < 1e-5


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bool", "int64", "int32"])
def test_square_subsequent_mask_dtypes_as_torch(dtype):
    results = []
    for m in (torch, tg):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mask = m.nn.Transformer.generate_square_subsequent_mask(
                    3, dtype=getattr(m, dtype))
            results.append((str(mask.dtype).split(".")[-1], mask.tolist()))
        except RuntimeError as e:
            results.append(("RuntimeError", str(e)))
    assert results[0] == results[1]
