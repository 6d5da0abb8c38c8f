"""Storage-level operations on results kept in the library's own memory order, against torch.

A convolution's, pooling's or resampling's result here is an NCHW view of memory in another
order (batch innermost, ...), where torch's is contiguous. ``stride()`` reports the NumPy
memory as it is, but everything that reads torch's *storage* — ``storage_offset()``,
``as_strided``, ``storage()``, ``set_``, ``data_ptr()`` differences, ``unfold``'s offset,
``save`` — must give torch's numbers for the result and for every view of it (or refuse).
The torch side is built from our values (``np.ascontiguousarray``: torch's contiguous
tensor), so the numbers compare exactly.
"""
import copy
import io
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tinygrad_sgd as tg  # noqa: E402

RS = np.random.RandomState(0)
X = RS.randn(2, 3, 6, 6).astype(np.float32)
W = RS.randn(4, 3, 3, 3).astype(np.float32)

# results in the library's own order, made from X (m: the library or torch)
RESULTS = {
    "conv2d": lambda m, x: m.nn.functional.conv2d(x, m.tensor(W)),
    "max_pool2d": lambda m, x: m.nn.functional.max_pool2d(x, 2),
    "avg_pool2d": lambda m, x: m.nn.functional.avg_pool2d(x, 2),
    "nearest": lambda m, x: m.nn.functional.interpolate(x, scale_factor=2),
    "bilinear": lambda m, x: m.nn.functional.interpolate(x, scale_factor=2, mode="bilinear"),
    "relu(conv2d)": lambda m, x: m.nn.functional.conv2d(x, m.tensor(W)).relu(),
}

# views of such a result y (torch's are views of its storage too)
VIEWS = {
    "y": lambda y: y,
    "y[1]": lambda y: y[1],
    "y[:, 1:]": lambda y: y[:, 1:],
    "y.transpose(1, 2)": lambda y: y.transpose(1, 2),
    "y[..., ::2]": lambda y: y[..., ::2],
    "y.flatten(1)": lambda y: y.flatten(1),
    "y[:, 0, 0, 0]": lambda y: y[:, 0, 0, 0],
    "y[1].detach()": lambda y: y[1].detach(),
    "y.data[1]": lambda y: y.data[1],
    "y[1].contiguous()": lambda y: y[1].contiguous(),
    "y[1].view(-1)": lambda y: y[1].view(-1),
    "y.transpose(1, 2)[0].detach()": lambda y: y.transpose(1, 2)[0].detach(),
    "y[1].detach()[2:]": lambda y: y[1].detach()[2:],
}

# storage-level reads, each asked of our view and of torch's (t: the view, m: the module)
READS = {
    "storage_offset": lambda m, t: t.storage_offset(),
    "as_strided": lambda m, t: t.as_strided((2, 3), (1, 2)).tolist(),
    "as_strided offset": lambda m, t: t.as_strided((3, 2), (2, 1), 5).tolist(),
    "torch.as_strided": lambda m, t: m.as_strided(t, (4,), (3,), 2).tolist(),
    "as_strided_copy": lambda m, t: m.as_strided_copy(t, (3,), (2,), 1).tolist(),
    "as_strided_scatter": lambda m, t: m.as_strided_scatter(t, m.zeros(3), (3,), (2,), 1)
    .tolist(),
    "storage": lambda m, t: t.storage().tolist(),
    "untyped_storage nbytes": lambda m, t: t.untyped_storage().nbytes(),
    "data_ptr - storage's": lambda m, t: t.data_ptr() - t.untyped_storage().data_ptr(),
    "set_(t) offset": lambda m, t: m.empty(0).set_(t).storage_offset(),
    "set_(t) as_strided": lambda m, t: m.empty(0).set_(t).as_strided((3,), (1,), 2).tolist(),
    "set_(t) is_set_to": lambda m, t: m.empty(0).set_(t).is_set_to(t),
    "set_(storage, ...)": lambda m, t: m.empty(0).set_(t.untyped_storage(), 1, (3,), (2,))
    .tolist(),
    "new().set_(storage)": lambda m, t: t.new().set_(t.untyped_storage()).tolist(),
    "unfold offset": lambda m, t: t.unfold(-1, 2, 1).storage_offset(),
    "unfold values": lambda m, t: t.unfold(-1, 2, 1).tolist(),
    "view(int32) offset": lambda m, t: t.view(m.int32).storage_offset(),
    "view(int32) as_strided": lambda m, t: t.view(m.int32).as_strided((3,), (2,), 1).tolist(),
    "tolist": lambda m, t: t.tolist(),
}


def _pair(result, view):
    """(ours, torch's): the view of the result, torch's made from our values."""
    with tg.no_grad():
        y = RESULTS[result](tg, tg.tensor(X))
    yt = torch.tensor(np.ascontiguousarray(y.numpy()))
    return VIEWS[view](y), VIEWS[view](yt), y, yt


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("result", RESULTS)
@pytest.mark.parametrize("view", VIEWS)
def test_storage_reads_give_torchs_numbers(result, view):
    ours, theirs, y, _ = _pair(result, view)     # (y kept: a contiguous() copy holds it weakly)
    assert np.array_equal(ours.numpy(), theirs.numpy())
    for name, read in READS.items():
        assert read(tg, ours) == read(torch, theirs), name
    del y


@pytest.mark.parametrize("whole", [True, False], ids=["of_the_result", "of_a_view"])
def test_a_contiguous_copy_once_its_result_is_gone(whole):
    """torch's ``contiguous()`` of such a result is the result itself; ours a copy, which
    holds the result weakly: once the result is gone, the copy may be written (nothing shares
    its memory in torch any more) and, if it was the whole result, its storage reads are
    torch's; if it was a view's (an offset into the result's storage), they are refused."""
    got = {}
    for L in (tg, torch):
        L.manual_seed(0)
        conv = L.nn.Conv2d(1, 2, 3)
        with L.no_grad():
            y = conv(L.tensor(np.linspace(0, 1, 50, dtype=np.float32).reshape(2, 1, 5, 5)))
            z = (y if whole else y[1]).contiguous()
            if L is tg:
                with pytest.raises(RuntimeError, match="had to be made as a copy"):
                    z.add_(1)
            del y
            z.add_(1)
            got[L] = z.numpy().copy()
            if whole or L is torch:
                got[L, "storage"] = (z.storage_offset(), z.as_strided((3,), (2,)).tolist())
            else:
                with pytest.raises(RuntimeError, match="tensors are gone"):
                    z.storage_offset()
    np.testing.assert_allclose(got[tg], got[torch], rtol=1e-6)
    if whole:
        assert got[tg, "storage"][0] == got[torch, "storage"][0]
        np.testing.assert_allclose(got[tg, "storage"][1], got[torch, "storage"][1], rtol=1e-6)


@pytest.mark.parametrize("result", RESULTS)
def test_set_from_a_contiguous_tensor_counts_from_its_start(result):
    """``set_(tensor, offset, size, stride)``: the offset counts from the tensor's own start
    in torch's storage, and a tensor that is not contiguous in torch is refused."""
    ours, theirs, _, _ = _pair(result, "y[1]")
    read = lambda m, t: m.empty(0).set_(t, 3, (2,), (2,)).tolist()     # noqa: E731
    assert read(tg, ours) == read(torch, theirs)
    ours, theirs, _, _ = _pair(result, "y[:, 1:]")
    for m, t in ((tg, ours), (torch, theirs)):
        with pytest.raises(RuntimeError, match="passed in tensor to be used as storage must "
                                               "be contiguous"):
            m.empty(0).set_(t, 3, (2,), (2,))


@pytest.mark.parametrize("result", RESULTS)
def test_views_of_one_result_share_one_storage_address(result):
    ours, theirs, y, yt = _pair(result, "y[1]")
    assert ours.data_ptr() - y.data_ptr() == theirs.data_ptr() - yt.data_ptr()
    assert ours.untyped_storage().data_ptr() == y.untyped_storage().data_ptr()
    assert ours.storage_offset() * 4 == ours.data_ptr() - ours.untyped_storage().data_ptr()


@pytest.mark.parametrize("result", RESULTS)
@pytest.mark.parametrize("view", ["y", "y[1]", "y[:, 1:]", "y.transpose(1, 2)"])
def test_gradient_through_as_strided_is_torchs(result, view):
    """The gradient reaches the input through torch's storage places (the result's own
    backward after it): x.grad as torch's."""
    grads = []
    for m in (tg, torch):
        x = m.tensor(X, requires_grad=True)
        z = VIEWS[view](RESULTS[result](m, x)).as_strided((2, 3), (5, 2), 1)
        (z * m.arange(6.0).reshape(2, 3)).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("result", RESULTS)
@pytest.mark.parametrize("view", ["y", "y[1]", "y[:, 1:]", "y.transpose(1, 2)",
                                  "y[:, 0, 0, 0]"])
def test_pickle_and_deepcopy_keep_torchs_place(result, view):
    """A pickled or deep-copied view keeps its place in torch's storage (offset, strides,
    the storage's size), as torch's."""
    ours, theirs, _, _ = _pair(result, view)
    for copy_of in (lambda t: pickle.loads(pickle.dumps(t)), copy.deepcopy, copy.copy):
        got, want = copy_of(ours), copy_of(theirs)
        assert got.tolist() == want.tolist()
        for read in ("storage_offset", "as_strided", "untyped_storage nbytes"):
            assert READS[read](tg, got) == READS[read](torch, want), read


@pytest.mark.parametrize("result", RESULTS)
@pytest.mark.parametrize("view", ["y", "y[1]", "y[:, 1:]", "y.transpose(1, 2)",
                                  "y[:, 0, 0, 0]"])
def test_save_writes_torchs_storage(result, view):
    """``save`` writes torch's storage of the tensor (the whole result, row-major) with
    torch's strides and offset; views saved together share it in torch's file too."""
    ours, theirs, y, _ = _pair(result, view)
    buf = io.BytesIO()
    tg.save([y, ours], buf)
    buf.seek(0)
    whole, back = torch.load(buf)
    assert np.array_equal(back.numpy(), theirs.numpy())
    assert (back.storage_offset(), back.stride(), back.untyped_storage().nbytes()) == \
        (theirs.storage_offset(), theirs.stride(), theirs.untyped_storage().nbytes())
    assert back.untyped_storage().data_ptr() == whole.untyped_storage().data_ptr()


# ------------------------------------------------------------------------------ refusals
def _conv():
    with tg.no_grad():
        return RESULTS["conv2d"](tg, tg.tensor(X))


def test_writes_refused_while_torchs_storage_copy_lives():
    """An as_strided view or a storage of a result in the library's order reads a copy of
    it (torch's storage): writing into either side is refused while both live, and allowed
    again once the copy is gone."""
    y = _conv()
    z = y[1].as_strided((3,), (2,), 1)
    with pytest.raises(RuntimeError, match="shares its memory in torch"):
        y.add_(1)
    with pytest.raises(RuntimeError, match="shares its memory in torch"):
        z.fill_(0)
    with pytest.raises(RuntimeError, match="shares its memory in torch"):
        y[0].zero_()
    del z
    s = y.storage()
    with pytest.raises(RuntimeError, match="standing for torch's storage"):
        s[0] = 1.0
    del s
    y.add_(1)                                # (nothing linked any more)
    assert y.as_strided((1,), (1,), 1).item() == pytest.approx(y[0, 0, 0, 1].item())


LAYOUT_UNKNOWN = {   # torch's result follows an input that is not contiguous in torch
    "channels_last conv2d": lambda m, x: m.nn.functional.conv2d(
        x.contiguous(memory_format=m.channels_last), m.tensor(W)),
    "exp of a permuted conv2d": lambda m, x: m.nn.functional.conv2d(x, m.tensor(W))
    .permute(0, 2, 3, 1).exp(),
}


@pytest.mark.parametrize("name", LAYOUT_UNKNOWN)
def test_unknown_torch_layout_is_refused_not_guessed(name):
    """Where torch's layout of the result is not followed here, its storage places are
    refused with a message (never read in a guessed order); its own offset, 0, is still
    given, as torch's."""
    y = LAYOUT_UNKNOWN[name](tg, tg.tensor(X))
    yt = LAYOUT_UNKNOWN[name](torch, torch.tensor(X))
    assert y.storage_offset() == yt.storage_offset() == 0
    for read in (lambda: y.as_strided((2,), (1,)), lambda: y.untyped_storage(),
                 lambda: y[1].storage_offset(), lambda: y.detach()[1].data_ptr()):
        with pytest.raises(RuntimeError, match="layout in torch follows a channels-last or "
                                               "permuted input"):
            read()
    buf = io.BytesIO()                 # (saved all the same: the values, in its own order)
    tg.save(y[1], buf)
    buf.seek(0)
    np.testing.assert_array_equal(torch.load(buf).numpy(), y[1].numpy())
    flat = y.clone(memory_format=tg.contiguous_format)       # (the way out it names)
    np.testing.assert_allclose(flat.as_strided((3,), (2,), 1).numpy(),
                               yt.contiguous().as_strided((3,), (2,), 1).numpy(), rtol=1e-5)


def test_view_as_a_smaller_dtype_is_refused_with_the_reason():
    """torch's ``view(torch.uint8)`` of a (contiguous) result views its bytes; here the last
    dim does not step by one element: refused, saying why, instead of another order."""
    y = _conv()
    with pytest.raises(RuntimeError, match="library's own memory order"):
        y.view(tg.uint8)
    flat = y.clone(memory_format=tg.contiguous_format)
    assert flat.view(tg.uint8).tolist() == \
        torch.tensor(np.ascontiguousarray(y.numpy())).view(torch.uint8).tolist()


# ----------------------------------------------- tensors whose NumPy strides are torch's
GIVEN = {   # not contiguous, but laid out as torch's tensor is: their memory is the storage
    "from_numpy of a transposed array": lambda m: m.from_numpy(
        np.arange(24.0).reshape(2, 3, 4).transpose(2, 0, 1)),
    "empty_strided": lambda m: m.empty_strided((2, 3, 4), (1, 2, 6)).copy_(
        m.arange(24.0).reshape(2, 3, 4)),
    "empty_permuted": lambda m: m.empty_permuted((2, 3, 4), (2, 0, 1)).copy_(
        m.arange(24.0).reshape(2, 3, 4)),
    "exp of a permuted view": lambda m: m.arange(24.0).reshape(2, 3, 4).permute(2, 0, 1)
    .exp(),
    "loaded view": lambda m: _through_torch_file(m, torch.arange(36.0).view(2, 2, 3, 3)[:, 1:]),
}


def _through_torch_file(m, t):
    buf = io.BytesIO()
    torch.save(t, buf)
    buf.seek(0)
    return m.load(buf)


@pytest.mark.parametrize("name", GIVEN)
def test_tensors_laid_out_as_torchs_keep_their_own_storage(name):
    ours, theirs = GIVEN[name](tg), GIVEN[name](torch)
    for read in ("storage_offset", "as_strided", "as_strided offset", "storage",
                 "untyped_storage nbytes"):
        got, want = READS[read](tg, ours), READS[read](torch, theirs)
        assert np.allclose(got, want), read
    assert ours.stride() == theirs.stride()
