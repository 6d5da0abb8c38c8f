"""Probe 32, nn layer construction: each layer built with the same arguments here and in torch
must agree on whether construction fails (and with which exception class: ours may subclass
torch's), on repr(module), on the stored argument attributes (their values and types: a list
stays a list) and on the names, shapes and dtypes of parameters and buffers.

Found wrong before the fixes (each row below failed):
* a negative size (Conv kernel, BatchNorm/InstanceNorm/GroupNorm/LayerNorm/RMSNorm features,
  Embedding, PReLU, RNN cells, MultiheadAttention kdim) was NumPy's "negative dimensions are
  not allowed" ValueError, torch's is a RuntimeError (Linear/Bilinear rows passed already);
* a float size (Embedding(10.0, 3), BatchNorm1d(4.0), Bilinear(3.0, ...), LayerNorm((4.0,)))
  was accepted, torch refuses it (TypeError) where the parameter is allocated, and where no
  parameter is made (InstanceNorm1d(4.0)) torch keeps the float, we turned it into an int;
* Conv2d(groups=2.0) was a ValueError (torch: TypeError); groups=True refused (torch: 1);
* Hardtanh with max_val <= min_val: torch's AssertionError (ours a ValueError, equal bounds
  accepted);
* Hardswish/Hardsigmoid(inplace=True) showed ``inplace=True`` in their repr (torch: none);
* Dropout(p=True) refused (torch takes it as 1);
* Unflatten(1, [2, 3]) turned the list into a tuple (repr and attribute);
* Upsample(scale_factor=[2, 3]) accepted (torch: TypeError), scale_factor=0 kept as 0.0
  (torch: None).
"""
import warnings

import pytest
import torch

import tinygrad_sgd as tg
import tinygrad_sgd.nn as gnn

ATTRS = ("kernel_size", "stride", "padding", "dilation", "groups", "in_features",
         "out_features", "in1_features", "in2_features", "num_embeddings", "embedding_dim",
         "num_features", "normalized_shape", "p", "inplace", "min_val", "max_val",
         "unflattened_size", "dim", "scale_factor", "size", "mode")


def _build(lib, name, args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return getattr(lib, name)(*args, **kwargs), None
        except Exception as e:           # noqa: BLE001  (the class is what is compared)
            return None, e


def _ours_kwargs(kwargs):
    return {k: getattr(tg, str(v).split(".")[-1]) if isinstance(v, torch.dtype) else v
            for k, v in kwargs.items()}


def _tensors(m):
    return ([(n, tuple(p.shape), str(p.dtype).split(".")[-1]) for n, p in m.named_parameters()],
            [(n, tuple(b.shape), str(b.dtype).split(".")[-1]) for n, b in m.named_buffers()])


def _attrs(m):
    out = {}
    for a in ATTRS:
        v = getattr(m, a, None)
        if v is None or callable(v) or hasattr(v, "shape"):
            continue
        out[a] = (v, type(v).__name__)
    return out


CASES = [
    # negative sizes: torch's RuntimeError (was NumPy's ValueError)
    ("Linear", (3, -4), {}), ("Bilinear", (3, 4, -1), {}), ("Bilinear", (-1, 3, 4), {}),
    ("Conv2d", (4, 8, -1), {}), ("Conv1d", (4, 8, -1), {}), ("Conv2d", (4, 8, (3, -1)), {}),
    ("ConvTranspose2d", (4, 8, -1), {}),
    ("BatchNorm1d", (-1,), {}), ("BatchNorm2d", (-1,), {}), ("SyncBatchNorm", (-1,), {}),
    ("InstanceNorm1d", (-1,), {"affine": True}),
    ("InstanceNorm2d", (-1,), {"track_running_stats": True}),
    ("GroupNorm", (1, -1), {}), ("LayerNorm", (-1,), {}), ("LayerNorm", ((3, -1),), {}),
    ("RMSNorm", (-1,), {}), ("Embedding", (-1, 3), {}), ("Embedding", (3, -1), {}),
    ("EmbeddingBag", (-1, 3), {}), ("PReLU", (-1,), {}), ("GRUCell", (3, -1), {}),
    ("MultiheadAttention", (8, 2), {"kdim": -1}),
    # float sizes: refused where a parameter is made, kept where none is
    ("Embedding", (10.0, 3), {}), ("Embedding", (10, 3.0), {}), ("EmbeddingBag", (10.0, 3), {}),
    ("BatchNorm1d", (4.0,), {}), ("BatchNorm1d", (4.0,), {"affine": False}),
    ("BatchNorm1d", (4.0,), {"affine": False, "track_running_stats": False}),
    ("InstanceNorm1d", (4.0,), {}), ("Bilinear", (3.0, 4, 5), {}), ("LayerNorm", ((4.0,),), {}),
    ("LayerNorm", ((4.0,),), {"elementwise_affine": False}),
    # groups
    ("Conv2d", (4, 8, 3), {"groups": 2.0}), ("Conv2d", (4, 8, 3), {"groups": True}),
    ("ConvTranspose1d", (4, 8, 3), {"groups": True}), ("Conv2d", (4, 8, 3), {"groups": 0}),
    ("Conv2d", (4, 6, 3), {"groups": 4}),
    # activations
    ("Hardtanh", (2, -2), {}), ("Hardtanh", (0.5, 0.5), {}), ("Hardtanh", (-2.0, 2.0, True), {}),
    ("Hardswish", (True,), {}), ("Hardsigmoid", (True,), {}), ("ReLU6", (True,), {}),
    ("SiLU", (True,), {}),
    # dropout p
    ("Dropout", (True,), {}), ("Dropout2d", (False,), {}), ("AlphaDropout", (True,), {}),
    ("Dropout", (1.1,), {}), ("Dropout", (-0.1,), {}), ("Dropout", (1,), {}),
    # stored as given
    ("Unflatten", (1, [2, 3]), {}), ("Unflatten", (1, (2, 3)), {}),
    ("Upsample", (), {"scale_factor": [2, 3]}), ("Upsample", (), {"scale_factor": (2, 3)}),
    ("Upsample", (), {"scale_factor": 0}), ("Upsample", (), {"scale_factor": 2}),
    # unchanged behaviour, kept honest
    ("Conv2d", (4, 8, 3), {"padding": "same", "stride": 2}),
    ("Conv2d", (4, 8, 3), {"padding": 1, "padding_mode": "circular", "dtype": torch.float64}),
    ("Linear", (0, 4), {}), ("Bilinear", (3, 4, 5), {"bias": False}),
    ("Embedding", (10, 3), {"padding_idx": -11}), ("Embedding", (10, 3), {"padding_idx": -1}),
    ("LSTM", (3, 4), {"proj_size": 2, "num_layers": 2, "bidirectional": True}),
    ("MultiheadAttention", (8, 2), {"kdim": 4, "vdim": 6}),
]


@pytest.mark.parametrize("name,args,kwargs", CASES,
                         ids=[f"{n}{a}{k}" for n, a, k in CASES])
def test_layer_construction_matches_torch(name, args, kwargs):
    theirs, their_err = _build(torch.nn, name, args, kwargs)
    ours, our_err = _build(gnn, name, args, _ours_kwargs(kwargs))
    if their_err is not None:
        assert our_err is not None, f"torch refused with {type(their_err).__name__}, we built"
        assert isinstance(our_err, type(their_err)), (type(our_err), type(their_err))
        return
    assert our_err is None, f"torch built it, we raised {our_err!r}"
    assert repr(ours) == repr(theirs)
    assert _attrs(ours) == _attrs(theirs)
    assert _tensors(ours) == _tensors(theirs)


def test_negative_size_message_is_torchs():
    with pytest.raises(RuntimeError, match=r"negative dimension -1: \[8, 4, 3, -1\]"):
        gnn.Conv2d(4, 8, (3, -1))
