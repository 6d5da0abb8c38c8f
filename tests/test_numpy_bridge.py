"""The NumPy bridge against torch: ``Tensor.numpy()``, ``np.asarray(t)``, ``np.array(t)`` and
``t.__array__()`` share memory (writable) exactly where torch's do, and every op, creation
function and gradient gives new memory exactly where torch's does.

Once ``numpy()`` is writable, any place where the library hands one NumPy array to two tensors
that torch gives separate storage is a silently wrong number. So each table row is run in both
libraries: write through ``numpy()`` of the result, and see whether the input changed (and the
other way round); the answers must be torch's. The tables: ops (OPS, and every one-argument
method and function both libraries have), creation from NumPy data, results made twice (no
cached constants), gradients and autograd's results, optimizers / loaders / serialization /
copies, DLPack, NumPy's conversions, and a write between a convolution, its pooling and the
relu (values the library computes ahead must not be reused after a NumPy write). Documented
differences (a tensor that requires grad gives a read-only view; a read-only source array
stays read-only; a ``view()`` made as a copy is read-only) are tested as such.
"""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import errors

LIBS = (torch, tg)
# (both libraries' tensor(tensor) warning; NumPy 2's about torch's __array__ without copy=)
pytestmark = [pytest.mark.filterwarnings("ignore:To copy construct from a tensor"),
              pytest.mark.filterwarnings("ignore:__array__ implementation doesn.t accept")]


def _input(L, kind):
    if kind == "f":
        return L.tensor([[1.5, -2.0, 3.0], [4.0, 0.5, -6.0]])
    if kind == "f64":
        return L.tensor([[1.5, -2.0, 3.0], [4.0, 0.5, -6.0]], dtype=L.float64)
    if kind == "i":
        return L.tensor([[1, -2, 3], [4, 0, -6]])
    if kind == "u8":
        return L.tensor([[1, 2, 3], [4, 0, 6]], dtype=L.uint8)
    if kind == "b":
        return L.tensor([[True, False, True], [False, True, True]])
    if kind == "f0":
        return L.tensor(2.5)
    if kind == "f4":
        return L.arange(2 * 3 * 4 * 4, dtype=L.float32).reshape(2, 3, 4, 4) / 10
    if kind == "f4_1px":
        return L.arange(8, dtype=L.float32).reshape(2, 4, 1, 1) / 10
    assert kind == "f1"
    return L.tensor([1.5, -2.0, 3.0])


def _scribble(array):
    """Write new values into every element of ``array`` (in place)."""
    if array.dtype == np.bool_:
        np.logical_not(array, out=array)
    else:
        array[...] = 77


def _changed(L, before, after):
    """Whether ``after`` (a tensor) no longer has the values ``before`` (its ``tolist()``,
    taken earlier: a snapshot that owes nothing to clone() or numpy(), which are tested)."""
    now = after.tolist()
    if now == before:
        return False
    a, b = np.asarray(now), np.asarray(before)      # (NaN in torch's uninitialised Tensor(3)
    return not (a.dtype.kind == "f" and np.array_equal(a, b, equal_nan=True))   # is no change)


# ---------------------------------------------------------------- ops: new memory or shared?
# (name, input kind, the expression in either library)
OPS = [
    ("clone", "f", lambda L, x: x.clone()),
    ("clone_T", "f", lambda L, x: x.t().clone()),
    ("contiguous", "f", lambda L, x: x.contiguous()),
    ("contiguous_T", "f", lambda L, x: x.t().contiguous()),
    ("contiguous_expand", "f1", lambda L, x: x.expand(2, 3).contiguous()),
    ("detach", "f", lambda L, x: x.detach()),
    ("data", "f", lambda L, x: x.data),
    ("requires_grad_false", "f", lambda L, x: x.requires_grad_(False)),
    ("to_same_dtype", "f", lambda L, x: x.to(L.float32)),
    ("to_copy", "f", lambda L, x: x.to(L.float32, copy=True)),
    ("to_cpu", "f", lambda L, x: x.to("cpu")),
    ("to_like", "f", lambda L, x: x.to(L.zeros(1))),
    ("cpu", "f", lambda L, x: x.cpu()),
    ("float_of_float", "f", lambda L, x: x.float()),
    ("double_of_float", "f", lambda L, x: x.double()),
    ("double_of_double", "f64", lambda L, x: x.double()),
    ("float_of_long", "i", lambda L, x: x.float()),
    ("long_of_long", "i", lambda L, x: x.long()),
    ("bool_of_bool", "b", lambda L, x: x.bool()),
    ("half_half_float", "f", lambda L, x: x.half().half().float()),
    ("type_same", "f", lambda L, x: x.type(L.float32)),
    ("type_as_self", "f", lambda L, x: x.type_as(x)),
    ("add_0", "f", lambda L, x: x + 0),
    ("sub_0", "f", lambda L, x: x - 0),
    ("mul_1", "f", lambda L, x: x * 1),
    ("div_1", "f", lambda L, x: x / 1),
    ("pow_1", "f", lambda L, x: x ** 1),
    ("mul_tensor_1", "f", lambda L, x: x * L.tensor(1.0)),
    ("add_zeros", "f", lambda L, x: x + L.zeros(2, 3)),
    ("int_add_0", "i", lambda L, x: x + 0),
    ("int_mul_1", "i", lambda L, x: x * 1),
    ("unary_plus", "f", lambda L, x: +x),
    ("positive", "f", lambda L, x: L.positive(x)),
    ("abs_uint8", "u8", lambda L, x: x.abs()),
    ("relu_uint8", "u8", lambda L, x: L.relu(x)),
    ("relu_int", "i", lambda L, x: L.relu(x)),
    ("relu_positive", "f", lambda L, x: (x.abs() + 1).relu()),
    ("sgn_uint8", "u8", lambda L, x: x.sgn()),
    ("trunc_uint8", "u8", lambda L, x: x.trunc()),
    ("floor_int", "i", lambda L, x: x.floor()),
    ("ceil_int", "i", lambda L, x: x.ceil()),
    ("round_int", "i", lambda L, x: x.round()),
    ("trunc_int", "i", lambda L, x: x.trunc()),
    ("fix_int", "i", lambda L, x: L.fix(x)),
    ("clamp_int", "i", lambda L, x: x.clamp(-100, 100)),
    ("clip_int", "i", lambda L, x: x.clip(-100, 100)),
    ("clamp_no_effect", "f", lambda L, x: x.clamp(min=-100)),
    ("hardtanh_no_effect", "f", lambda L, x: L.nn.functional.hardtanh(x, -100, 100)),
    ("nan_to_num", "f", lambda L, x: L.nan_to_num(x)),
    ("nan_to_num_int", "i", lambda L, x: L.nan_to_num(x)),
    ("real", "f", lambda L, x: L.real(x)),
    ("conj", "f", lambda L, x: x.conj()),
    ("resolve_conj", "f", lambda L, x: x.resolve_conj()),
    ("resolve_neg", "f", lambda L, x: x.resolve_neg()),
    ("logical_and_self", "b", lambda L, x: L.logical_and(x, x)),
    ("and_self", "b", lambda L, x: x & x),
    ("minimum_self", "f", lambda L, x: L.minimum(x, x)),
    ("max_self", "f", lambda L, x: L.max(x, x)),
    ("where_all_true", "f", lambda L, x: L.where(L.ones(2, 3, dtype=L.bool), x, 0.0)),
    ("masked_fill_none", "f", lambda L, x: x.masked_fill(L.zeros(2, 3, dtype=L.bool), 0.0)),
    ("lerp_weight_0", "f", lambda L, x: L.lerp(x, L.zeros(2, 3), 0.0)),
    ("sum_no_dims", "f", lambda L, x: x.sum(dim=())),
    ("sum_0d", "f0", lambda L, x: x.sum()),
    ("nansum_0d", "f0", lambda L, x: x.nansum()),
    ("mean_0d", "f0", lambda L, x: x.mean()),
    ("amax_0d", "f0", lambda L, x: x.amax()),
    ("max_0d", "f0", lambda L, x: x.max()),
    ("sum_size1_dim", "f", lambda L, x: x.unsqueeze(0).sum(0)),
    ("sum_size1_keepdim", "f1", lambda L, x: x.unsqueeze(0).sum(0, keepdim=True)),
    ("prod_size1_dim", "f", lambda L, x: x.unsqueeze(0).prod(0)),
    ("mean_size1_dim", "f", lambda L, x: x.unsqueeze(0).mean(0)),
    ("max_size1_dim", "f", lambda L, x: x.unsqueeze(0).max(0)[0]),
    ("amax_size1_dim", "f", lambda L, x: x.unsqueeze(0).amax(0)),
    ("logsumexp_size1_dim", "f", lambda L, x: x.unsqueeze(0).logsumexp(0)),
    ("cumsum_size1_dim", "f1", lambda L, x: x.unsqueeze(0).cumsum(0)),
    ("cummax", "f1", lambda L, x: x.cummax(0)[0]),
    ("squeeze_nothing", "f", lambda L, x: x.squeeze()),
    ("squeeze_0d", "f0", lambda L, x: x.squeeze()),
    ("squeeze_dim", "f", lambda L, x: x.unsqueeze(0).squeeze(0)),
    ("unsqueeze", "f", lambda L, x: x.unsqueeze(0)),
    ("reshape_same", "f", lambda L, x: x.reshape(2, 3)),
    ("reshape_0d", "f0", lambda L, x: x.reshape(())),
    ("reshape_T", "f", lambda L, x: x.t().reshape(6)),
    ("reshape_as", "f", lambda L, x: x.reshape_as(x)),
    ("view_same", "f", lambda L, x: x.view(2, 3)),
    ("view_as", "f", lambda L, x: x.view_as(x)),
    ("view_dtype_same", "f", lambda L, x: x.view(L.float32)),
    ("view_dtype_int32", "f", lambda L, x: x.view(L.int32)),
    ("flatten_1d", "f1", lambda L, x: x.flatten()),
    ("flatten", "f", lambda L, x: x.flatten()),
    ("ravel", "f", lambda L, x: x.ravel()),
    ("ravel_T", "f", lambda L, x: x.t().ravel()),
    ("unflatten", "f", lambda L, x: x.unflatten(1, (3,))),
    ("nn_Flatten", "f", lambda L, x: L.nn.Flatten()(x)),
    ("nn_Identity", "f", lambda L, x: L.nn.Identity()(x)),
    ("expand", "f1", lambda L, x: x.expand(2, 3)),
    ("expand_same", "f", lambda L, x: x.expand(2, 3)),
    ("expand_as", "f1", lambda L, x: x.expand_as(L.zeros(2, 3))),
    ("broadcast_to", "f1", lambda L, x: L.broadcast_to(x, (2, 3))),
    ("expand_data", "f1", lambda L, x: x.expand(2, 3).data),
    ("expand_detach", "f1", lambda L, x: x.expand(2, 3).detach()),
    ("expand_T_data", "f1", lambda L, x: x.expand(2, 3).t().data),
    ("slice_data", "f", lambda L, x: x[1:].data),
    ("repeat_1", "f", lambda L, x: x.repeat(1, 1)),
    ("tile_1", "f", lambda L, x: x.tile((1, 1))),
    ("cat_one", "f", lambda L, x: L.cat([x])),
    ("stack_one", "f", lambda L, x: L.stack([x])),
    ("split_one_piece", "f", lambda L, x: x.split(2)[0]),
    ("chunk_one_piece", "f", lambda L, x: x.chunk(1)[0]),
    ("unbind", "f", lambda L, x: x.unbind()[0]),
    ("T", "f", lambda L, x: x.T),
    ("t", "f", lambda L, x: x.t()),
    ("mT", "f", lambda L, x: x.mT),
    ("permute_identity", "f", lambda L, x: x.permute(0, 1)),
    ("transpose_same_dim", "f", lambda L, x: x.transpose(0, 0)),
    ("swapaxes", "f", lambda L, x: x.swapaxes(0, 1)),
    ("movedim_same", "f", lambda L, x: x.movedim(0, 0)),
    ("narrow_all", "f", lambda L, x: x.narrow(1, 0, 3)),
    ("select", "f", lambda L, x: x.select(0, 1)),
    ("diagonal", "f", lambda L, x: x.diagonal()),
    ("unfold", "f", lambda L, x: x.unfold(1, 2, 1)),
    ("as_strided", "f", lambda L, x: x.as_strided((2, 2), (1, 1))),
    ("getitem_all", "f", lambda L, x: x[:]),
    ("getitem_ellipsis", "f", lambda L, x: x[...]),
    ("getitem_step", "f", lambda L, x: x[:, ::2]),
    ("getitem_list", "f", lambda L, x: x[[0, 1]]),
    ("getitem_bool_mask", "f", lambda L, x: x[L.tensor([True, True])]),
    ("index_select_all", "f", lambda L, x: x.index_select(0, L.tensor([0, 1]))),
    ("gather_identity", "f", lambda L, x: x.gather(0, L.tensor([[0, 0, 0], [1, 1, 1]]))),
    ("masked_select_all", "f", lambda L, x: x.masked_select(L.ones(2, 3, dtype=L.bool))),
    ("index_put", "f", lambda L, x: x.index_put((L.tensor([0]),), L.tensor([1.5, -2.0, 3.0]))),
    ("flip_no_dims", "f", lambda L, x: x.flip(())),
    ("fliplr", "f", lambda L, x: x.fliplr()),
    ("roll_0", "f", lambda L, x: x.roll(0, 0)),
    ("tril_everything", "f", lambda L, x: x.tril(5)),
    ("triu_everything", "f", lambda L, x: x.triu(-5)),
    ("diag", "f1", lambda L, x: L.diag(x)),
    ("pad_nothing", "f", lambda L, x: L.nn.functional.pad(x, (0, 0))),
    ("dropout_eval", "f", lambda L, x: L.nn.functional.dropout(x, 0.5, training=False)),
    ("dropout_p0", "f", lambda L, x: L.nn.functional.dropout(x, 0.0)),
    ("atleast_2d", "f", lambda L, x: L.atleast_2d(x)),
    ("atleast_1d_of_0d", "f0", lambda L, x: L.atleast_1d(x)),
    ("einsum_identity", "f", lambda L, x: L.einsum("ij->ij", x)),
    ("einsum_transpose", "f", lambda L, x: L.einsum("ij->ji", x)),
    ("matmul_eye", "f", lambda L, x: x @ L.eye(3)),
    ("chain_matmul_one", "f", lambda L, x: L.chain_matmul(x)),
    ("softmax", "f", lambda L, x: L.softmax(x, 1)),
    ("as_tensor_of_tensor", "f", lambda L, x: L.as_tensor(x)),
    ("as_tensor_same_dtype", "f", lambda L, x: L.as_tensor(x, dtype=L.float32)),
    ("asarray_of_tensor", "f", lambda L, x: L.asarray(x)),
    ("asarray_copy", "f", lambda L, x: L.asarray(x, copy=True)),
    ("tensor_of_tensor", "f", lambda L, x: L.tensor(x)),
    ("Tensor_of_tensor", "f", lambda L, x: L.Tensor(x)),
    ("new_tensor", "f", lambda L, x: x.new_tensor(x)),
    ("tensor_of_item", "f0", lambda L, x: L.tensor(x.item())),
    ("Parameter_no_grad", "f", lambda L, x: L.nn.Parameter(x, requires_grad=False)),
    ("zeros_like", "f", lambda L, x: L.zeros_like(x)),
    ("full_like", "f", lambda L, x: L.full_like(x, 2.0)),
    ("cat_with_empty", "f", lambda L, x: L.cat([x, L.zeros(0, 3)])),
    ("cat_with_empty_1d", "f", lambda L, x: L.cat([x, L.tensor([])])),
    ("hstack_one", "f", lambda L, x: L.hstack([x])),
    ("vstack_one", "f", lambda L, x: L.vstack([x])),
    ("block_diag_one", "f", lambda L, x: L.block_diag(x)),
    ("broadcast_tensors_same", "f", lambda L, x: L.broadcast_tensors(x, L.zeros(2, 3))[0]),
    ("broadcast_tensors_bigger", "f", lambda L, x: L.broadcast_tensors(x, L.zeros(4, 2, 3))[0]),
    ("meshgrid_one", "f1", lambda L, x: L.meshgrid(x, indexing="ij")[0]),
    ("kron_ones_1x1", "f", lambda L, x: L.kron(x, L.ones(1, 1))),
    ("repeat_interleave_1", "f", lambda L, x: x.repeat_interleave(1, dim=0)),
    ("take_all", "f", lambda L, x: x.take(L.arange(6))),
    ("topk_all", "f", lambda L, x: x.topk(3)[0]),
    ("split_bigger_than_dim", "f", lambda L, x: x.split(5)[0]),
    ("tensor_split_1", "f", lambda L, x: L.tensor_split(x, 1)[0]),
    ("to_copy_false", "f", lambda L, x: x.to(L.float32, copy=False)),
    ("type_of_own_type", "f", lambda L, x: x.type(x.type())),
    ("rot90_0", "f", lambda L, x: L.rot90(x, 0)),
    ("rot90_4", "f", lambda L, x: L.rot90(x, 4)),
    ("roll_full_turn", "f", lambda L, x: L.roll(x, 3, 1)),
    ("diff_n0", "f", lambda L, x: L.diff(x, n=0)),
    ("renorm_no_effect", "f", lambda L, x: x.renorm(2, 0, 1e9)),
    ("sum_to_size_same", "f", lambda L, x: x.sum_to_size(2, 3)),
    ("narrow_copy", "f", lambda L, x: x.narrow_copy(0, 0, 2)),
    ("slice_scatter_all", "f", lambda L, x: L.slice_scatter(x, x, 0)),
    ("alias_copy", "f", lambda L, x: L.alias_copy(x)),
    ("view_copy", "f", lambda L, x: L.view_copy(x, (6,))),
    ("t_copy", "f", lambda L, x: L.t_copy(x)),
    ("squeeze_copy", "f", lambda L, x: L.squeeze_copy(x)),
    ("std_mean_size1_dim", "f", lambda L, x: L.std_mean(x.unsqueeze(0), 0, correction=0)[1]),
    ("median_size1_dim", "f", lambda L, x: L.median(x.unsqueeze(0), 0)[0]),
    ("contiguous_channels_last", "f4",
     lambda L, x: x.contiguous(memory_format=L.channels_last)),
    ("to_channels_last", "f4", lambda L, x: x.to(memory_format=L.channels_last)),
    ("interpolate_same_size", "f4", lambda L, x: L.nn.functional.interpolate(x, size=(4, 4))),
    ("avg_pool_1", "f4", lambda L, x: L.nn.functional.avg_pool2d(x, 1)),
    ("max_pool_1", "f4", lambda L, x: L.nn.functional.max_pool2d(x, 1)),
    ("adaptive_avg_pool_same", "f4", lambda L, x: L.nn.functional.adaptive_avg_pool2d(x, 4)),
    ("pad_nothing_4d", "f4", lambda L, x: L.nn.functional.pad(x, (0, 0, 0, 0))),
    ("dropout2d_eval", "f4", lambda L, x: L.nn.functional.dropout2d(x, 0.5, training=False)),
    ("conv_identity_kernel", "f4",
     lambda L, x: L.nn.functional.conv2d(x, L.eye(3).reshape(3, 3, 1, 1))),
    ("pixel_shuffle_1", "f4", lambda L, x: L.nn.functional.pixel_shuffle(x, 1)),
    ("pixel_unshuffle_1", "f4", lambda L, x: L.nn.functional.pixel_unshuffle(x, 1)),
    ("channel_shuffle_1", "f4", lambda L, x: L.nn.functional.channel_shuffle(x, 1)),
    ("channel_shuffle_3", "f4", lambda L, x: L.nn.functional.channel_shuffle(x, 3)),
    ("pixel_shuffle_2_one_pixel", "f4_1px", lambda L, x: L.nn.functional.pixel_shuffle(x, 2)),
    ("channel_shuffle_4_one_pixel", "f4_1px",
     lambda L, x: L.nn.functional.channel_shuffle(x, 4)),
    ("nn_PixelShuffle_1", "f4", lambda L, x: L.nn.PixelShuffle(1)(x)),
]


def _ops_answers(L, kind, fn):
    """(writing the result changes the input, writing the input changes the result, writing
    one result changes a second result of the same call on the same input)."""
    x = _input(L, kind)
    y = fn(L, x)
    x0 = x.tolist()
    _scribble(y.numpy())
    out_to_in = _changed(L, x0, x)
    x = _input(L, kind)
    y = fn(L, x)
    y0 = y.tolist()
    _scribble(x.numpy())
    in_to_out = _changed(L, y0, y)
    x = _input(L, kind)
    y1, y2 = fn(L, x), fn(L, x)
    y20 = y2.tolist()
    _scribble(y1.numpy())
    return out_to_in, in_to_out, _changed(L, y20, y2)


@pytest.mark.parametrize("name,kind,fn", OPS, ids=[row[0] for row in OPS])
def test_op_result_shares_memory_exactly_where_torch_does(name, kind, fn):
    want = _ops_answers(torch, kind, fn)
    got = _ops_answers(tg, kind, fn)
    assert got == want, f"{name}: (out->in, in->out, out->second out) {got}, torch {want}"


# ---------------------------------------------------------------- creation from NumPy data
_DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]

CREATION = [
    ("tensor", lambda L, a, d: L.tensor(a)),
    ("as_tensor", lambda L, a, d: L.as_tensor(a)),
    ("as_tensor_same_dtype", lambda L, a, d: L.as_tensor(a, dtype=getattr(L, d))),
    ("as_tensor_float32", lambda L, a, d: L.as_tensor(a, dtype=L.float32)),
    ("from_numpy", lambda L, a, d: L.from_numpy(a)),
    ("from_numpy_transposed", lambda L, a, d: L.from_numpy(a.T)),
    ("from_numpy_strided", lambda L, a, d: L.from_numpy(a[:, ::2])),
    ("as_tensor_transposed", lambda L, a, d: L.as_tensor(a.T)),
    ("as_tensor_0d", lambda L, a, d: L.as_tensor(a[0, 1:2].reshape(()))),
    ("asarray", lambda L, a, d: L.asarray(a)),
    ("asarray_copy", lambda L, a, d: L.asarray(a, copy=True)),
    ("asarray_float64", lambda L, a, d: L.asarray(a, dtype=L.float64)),
    ("tensor_of_numpy_scalar", lambda L, a, d: L.tensor(a[0, 1])),
    ("new_tensor", lambda L, a, d: L.zeros(1).new_tensor(a)),
    ("frombuffer", lambda L, a, d: L.frombuffer(a, dtype=getattr(L, d))),
    ("tensor_of_list_of_arrays", lambda L, a, d: L.tensor([a[0], a[1]])),
]
# Tensor(array) keeps the array's dtype here (and so shares it, as from_numpy): only float32,
# where torch shares too, is torch's behaviour; FloatTensor / LongTensor of their own dtype
CREATION_ONE_DTYPE = [
    ("Tensor", "float32", lambda L, a, d: L.Tensor(a)),
    ("FloatTensor", "float32", lambda L, a, d: L.FloatTensor(a)),
    ("LongTensor", "int64", lambda L, a, d: L.LongTensor(a)),
]
CREATION_CASES = [(name, d, fn) for name, fn in CREATION for d in _DTYPES] + CREATION_ONE_DTYPE


def _creation_answers(L, dtype, fn):
    def source():
        return (np.arange(6) % 2 == 0 if dtype == "bool" else np.arange(6, dtype=dtype)
                ).reshape(2, 3)
    a = source()
    a0 = a.copy()
    t = fn(L, a, dtype)
    _scribble(t.numpy())
    to_source = not np.array_equal(a, a0)
    a = source()
    t = fn(L, a, dtype)
    t0 = t.tolist()
    _scribble(a)
    from_source = _changed(L, t0, t)
    return to_source, from_source, str(t.dtype).split(".")[-1], tuple(t.stride())


@pytest.mark.parametrize("name,dtype,fn", CREATION_CASES,
                         ids=[f"{n}-{d}" for n, d, _ in CREATION_CASES])
def test_creation_shares_numpy_memory_exactly_where_torch_does(name, dtype, fn):
    assert _creation_answers(tg, dtype, fn) == _creation_answers(torch, dtype, fn)


# ---------------------------------------------------------------- no cached constants
# (not empty / empty_like: torch's values there are uninitialised memory, NaN among them)
MADE_TWICE = [
    ("zeros", lambda L: L.zeros(3)), ("ones", lambda L: L.ones(3)),
    ("zeros_0d", lambda L: L.zeros(())), ("zeros_int", lambda L: L.zeros(3, dtype=L.int64)),
    ("ones_bool", lambda L: L.ones(2, dtype=L.bool)), ("full", lambda L: L.full((3,), 2.0)),
    ("full_bool", lambda L: L.full((2,), True)),
    ("eye", lambda L: L.eye(3)), ("arange", lambda L: L.arange(3)),
    ("linspace", lambda L: L.linspace(0, 1, 3)), ("tensor_0.", lambda L: L.tensor(0.0)),
    ("tensor_1", lambda L: L.tensor(1)), ("tensor_True", lambda L: L.tensor(True)),
    ("tensor_empty_list", lambda L: L.tensor([])), ("Tensor()", lambda L: L.Tensor()),
    ("Tensor(3)", lambda L: L.Tensor(3)), ("scalar_tensor", lambda L: L.scalar_tensor(1.0)),
    ("zeros_like", lambda L: L.zeros_like(L.ones(3))),
    ("ones_like", lambda L: L.ones_like(L.ones(3))),
    ("new_zeros", lambda L: L.ones(1).new_zeros(3)),
    ("new_ones", lambda L: L.ones(1).new_ones(3)),
    ("tril_indices", lambda L: L.tril_indices(3, 3)),
    ("meshgrid", lambda L: L.meshgrid(L.arange(2), L.arange(2), indexing="ij")[0]),
    ("sum_of_empty", lambda L: L.zeros(0).sum()), ("prod_of_empty", lambda L: L.zeros(0).prod()),
    ("mean", lambda L: L.zeros(2).mean()), ("std_of_one", lambda L: L.ones(1).std()),
    ("var_of_one", lambda L: L.ones(1).var()), ("norm_of_zeros", lambda L: L.zeros(3).norm()),
    ("sign_of_zeros", lambda L: L.zeros(3).sign()),
    ("count_nonzero", lambda L: L.count_nonzero(L.ones(3))),
    ("argmax", lambda L: L.ones(3).argmax()), ("isnan", lambda L: L.isnan(L.ones(3))),
    ("eq", lambda L: L.ones(3) == 1), ("any", lambda L: L.ones(3).any()),
    ("all", lambda L: L.ones(3).all()), ("bincount", lambda L: L.bincount(L.tensor([0, 1]))),
    ("softmax_of_one", lambda L: L.softmax(L.ones(2, 1), 1)),
    ("cross_entropy", lambda L: L.nn.functional.cross_entropy(L.zeros(2, 3),
                                                              L.tensor([0, 1]))),
    ("dropout_p1", lambda L: L.nn.functional.dropout(L.ones(3), 1.0)),
]


def _made_twice_answer(L, fn):
    first, second = fn(L), fn(L)
    second0 = second.tolist()
    _scribble(first.numpy())
    return _changed(L, second0, second), tuple(first.stride())


@pytest.mark.parametrize("name,fn", MADE_TWICE, ids=[row[0] for row in MADE_TWICE])
def test_results_made_twice_do_not_share_memory(name, fn):
    assert _made_twice_answer(tg, fn) == _made_twice_answer(torch, fn)


# ---------------------------------------------------------------- gradients
GRADS = [
    ("sum", lambda L, a, b: a.sum() + b.sum()),
    ("mean", lambda L, a, b: a.mean() + b.mean()),
    ("add", lambda L, a, b: (a + b).sum()),
    ("mul", lambda L, a, b: (a * b).sum()),
    ("div", lambda L, a, b: (a / b).sum()),
    ("identity_plus_zero", lambda L, a, b: (a + 0 * b).sum()),
    ("times_one", lambda L, a, b: (a * 1).sum() + b.sum()),
    ("expand", lambda L, a, b: (a[0].expand(2, 3) * b).sum()),
    ("broadcast", lambda L, a, b: (a + b[0]).sum()),
    ("matmul", lambda L, a, b: (a.t() @ b).sum()),
    ("view", lambda L, a, b: (a.view(6) * b.view(6)).sum()),
    ("reshape_T", lambda L, a, b: (a.t().reshape(6) + b.reshape(6)).sum()),
    ("cat", lambda L, a, b: (L.cat([a, b]) * 2).sum()),
    ("stack", lambda L, a, b: L.stack([a, b]).sum()),
    ("index", lambda L, a, b: (a[0] + b[1]).sum()),
    ("same_twice", lambda L, a, b: (a + a + b).sum()),
    ("relu", lambda L, a, b: (L.relu(a) + L.relu(b)).sum()),
    ("max", lambda L, a, b: a.max() + b.amax()),
    ("mse", lambda L, a, b: L.nn.functional.mse_loss(a, b)),
    ("cross_entropy", lambda L, a, b: L.nn.functional.cross_entropy(a, L.tensor([0, 2]))
     + b.sum()),
    ("linear", lambda L, a, b: L.nn.functional.linear(a, b).sum()),
    ("where", lambda L, a, b: L.where(a > 1, a, b).sum()),
    ("gather", lambda L, a, b: a.gather(1, L.tensor([[0], [1]])).sum() + b.sum()),
]


def _grad_answers(L, fn):
    a = L.tensor(np.arange(1, 7, dtype=np.float32).reshape(2, 3) / 3, requires_grad=True)
    b = L.tensor(np.arange(2, 8, dtype=np.float32).reshape(2, 3) / 5, requires_grad=True)
    fn(L, a, b).backward()
    answers = []
    for t in (a, b):
        array = t.grad.numpy()
        watched = [a.detach(), b.detach(), a.grad, b.grad]
        before = [w.tolist() for w in watched]
        _scribble(array)
        answers.append((array.flags.writeable, array.strides,
                        [_changed(L, w0, w) for w0, w in zip(before, watched)]))
    return answers


@pytest.mark.parametrize("name,fn", GRADS, ids=[row[0] for row in GRADS])
def test_grad_numpy_is_its_own_memory(name, fn):
    assert _grad_answers(tg, fn) == _grad_answers(torch, fn)


# ---------------------------------------------------------------- numpy() itself
VIEWS = [
    ("contiguous", lambda x: x),
    ("transposed", lambda x: x.t()),
    ("column_slice_step", lambda x: x[:, ::2]),
    ("row", lambda x: x[1]),
    ("element_0d", lambda x: x[1, 2]),
    ("expanded", lambda x: x[0].expand(3, 4)),
    ("unsqueezed", lambda x: x.unsqueeze(1)),
    ("diagonal", lambda x: x.diagonal()),
    ("as_strided", lambda x: x.as_strided((2, 2), (1, 2))),
    ("detached", lambda x: x.detach()),
    ("empty_slice", lambda x: x[:, 3:]),
]


@pytest.mark.parametrize("dtype", _DTYPES)
@pytest.mark.parametrize("name,view", VIEWS, ids=[row[0] for row in VIEWS])
def test_numpy_is_a_writable_view_with_torchs_strides(name, view, dtype):
    def answers(L):
        base = np.arange(12).reshape(3, 4)
        x = L.tensor(base % 2 == 0 if dtype == "bool" else base, dtype=getattr(L, dtype))
        v = view(x)
        array = v.numpy()
        facts = (array.shape, array.strides, str(array.dtype), array.flags.writeable)
        before = x.tolist()
        if array.size:                      # one element (an expand's: one place, seen thrice)
            array.flat[0] = (not array.flat[0]) if dtype == "bool" else 99
        wrote = _changed(L, before, x)
        if dtype == "bool":                 # and the tensor's in-place changes show in it
            x.logical_not_()
        else:
            x.add_(1)
        return facts + (wrote, array.tolist(), v.tolist())
    assert answers(tg) == answers(torch)


def test_numpy_of_a_tensor_that_requires_grad_is_a_read_only_view():
    """A documented difference: torch refuses (RuntimeError); here a read-only view of the
    same memory (the suite reads ``w.numpy()``), while ``detach().numpy()`` and
    ``numpy(force=True)`` are writable and reach the tensor, as torch's."""
    w = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        w.numpy()
    for L in LIBS:
        w = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        if L is tg:
            read = w.numpy()
            assert not read.flags.writeable and np.shares_memory(read, w.detach().numpy())
            with pytest.raises(ValueError, match="read-only"):
                read[0] = 5
            assert not np.asarray(w).flags.writeable
        for array in (w.detach().numpy(), w.numpy(force=True)):
            assert array.flags.writeable
            array[0] += 10
        assert w.tolist() == [21.0, 2.0, 3.0]


def test_numpy_and_inplace_changes_see_each_other():
    for L in LIBS:
        x = L.zeros(2, 3)
        a = x.numpy()
        x.add_(1)
        x[0, 0] = 5
        assert a.tolist() == [[5, 1, 1], [1, 1, 1]]
        a[1] = 7
        assert x.tolist() == [[5, 1, 1], [7, 7, 7]]
        a0 = L.tensor(2.0)
        n = a0.numpy()
        assert n.shape == () and n.flags.writeable
        n[()] = 3
        assert a0.item() == 3


# ---------------------------------------------------------------- NumPy's own functions
CONVERSIONS = [
    ("asarray", lambda t: np.asarray(t)),
    ("asarray_same_dtype", lambda t: np.asarray(t, dtype=np.float32)),
    ("asarray_float64", lambda t: np.asarray(t, dtype=np.float64)),
    ("array", lambda t: np.array(t)),
    ("array_copy_None", lambda t: np.array(t, copy=None)),
    ("array_float16", lambda t: np.array(t, dtype=np.float16)),
    ("dunder", lambda t: t.__array__()),
    ("dunder_same_dtype", lambda t: t.__array__(np.float32)),
    ("dunder_float64", lambda t: t.__array__(np.float64)),
    ("dunder_transposed", lambda t: t.t().__array__()),
    ("asarray_transposed", lambda t: np.asarray(t.t())),
]


@pytest.mark.parametrize("name,fn", CONVERSIONS, ids=[row[0] for row in CONVERSIONS])
def test_numpy_conversions_share_exactly_where_torchs_do(name, fn):
    def answers(L):
        t = L.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        a = fn(t)
        before = t.tolist()
        a[...] = 9
        return a.dtype, a.shape, a.strides, a.flags.writeable, _changed(L, before, t)
    assert answers(tg) == answers(torch)


def test_array_copy_false_is_refused_as_torchs():
    messages = []
    for L in LIBS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)   # (NumPy's, to torch)
            with pytest.raises(ValueError) as caught:
                np.array(L.ones(2), copy=False)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert messages[1].startswith("Unable to avoid copy while creating an array as requested.")


# ---------------------------------------------------------------- read-only NumPy sources
@pytest.mark.parametrize("make", ["from_numpy", "as_tensor", "asarray", "Tensor", "FloatTensor",
                                  "DoubleTensor", "tensor"])
def test_read_only_array_warns_once_as_torch(make, monkeypatch):
    """torch warns (once per process) where a tensor would be made over a read-only array;
    ``tensor()`` copies without a word. Here such a tensor stays read-only (torch: undefined
    behaviour, its ``numpy()`` writes into the read-only array)."""
    def read_only():
        a = np.arange(3.0)
        a.flags.writeable = False
        return a
    monkeypatch.setattr(errors, "_warned_not_writable", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = getattr(tg, make)(read_only())
        getattr(tg, make)(read_only())
    got = [str(w.message) for w in caught if w.category is UserWarning]
    if make == "tensor":
        assert got == []
        assert first.numpy().flags.writeable
        return
    assert got == [errors.NOT_WRITABLE]
    # torch's words (its warning is once per process: another test may have used it up)
    assert errors.NOT_WRITABLE.startswith("The given NumPy array is not writable, and PyTorch "
                                          "does not support non-writable tensors.")
    if make in ("from_numpy", "as_tensor", "asarray"):
        source = read_only()
        t = getattr(tg, make)(source)
        with pytest.raises(ValueError, match="read-only"):
            t.numpy()[0] = 1
        assert source.tolist() == [0.0, 1.0, 2.0]


def test_read_only_warning_text_is_torchs():
    import subprocess
    import sys
    code = ("import numpy as np, torch, warnings\n"
            "a = np.arange(3.); a.flags.writeable = False\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always'); torch.from_numpy(a)\n"
            "print(str(w[0].message).split(' (Triggered internally')[0])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == errors.NOT_WRITABLE


# ---------------------------------------------------------------- meta, pooled buffers, copies
def test_meta_numpy_is_refused_as_torch():
    for L in LIBS:
        m = L.empty(2, 3, device="meta")
        for road in (lambda: m.numpy(), lambda: np.asarray(m), lambda: m.__array__()):
            with pytest.raises(TypeError, match="can't convert meta device type tensor to "
                                                "numpy. Use Tensor.cpu\\(\\) to copy the "
                                                "tensor to host memory first."):
                road()
        with pytest.raises(NotImplementedError, match="Cannot copy out of meta tensor; no data!"):
            m.numpy(force=True)


def test_pooled_buffer_held_through_numpy_is_not_handed_out_again():
    """kernels/buffers.py reuses big arrays nobody holds: an array held only through
    ``numpy()`` (its tensor gone) is held."""
    x = tg.tensor(np.arange(8 * 16 * 32 * 32, dtype=np.float32).reshape(8, 16, 32, 32) % 7)
    y = tg.nn.functional.max_pool2d(x, 2)
    assert y.numpy().nbytes >= tg.kernels.buffers.MIN_BYTES
    held = y.numpy()
    expected = held.copy()
    del y
    for _ in range(3):
        again = tg.nn.functional.max_pool2d(x * 2, 2)
        assert not np.shares_memory(again.numpy(), held)
    assert np.array_equal(held, expected)
    held[...] = -1                                   # (and writing it changes no new result)
    assert np.array_equal(again.numpy(), 2 * expected)


def test_view_made_as_a_copy_gives_a_read_only_numpy():
    """A ``view()`` of a convolution's result (kept in the library's own memory order) is a
    copy where torch's shares memory: writing through its ``numpy()`` would silently not
    reach the convolution's result, so it is read-only (NumPy's error instead)."""
    x = tg.tensor(np.arange(2 * 3 * 6 * 6, dtype=np.float32).reshape(2, 3, 6, 6) / 100)
    w = tg.tensor(np.arange(4 * 3 * 3 * 3, dtype=np.float32).reshape(4, 3, 3, 3) / 100)
    y = tg.nn.functional.conv2d(x, w)
    v = y.view(-1)
    if np.shares_memory(v.numpy(), y.numpy()):     # (a layout that could be viewed: shared)
        return
    with pytest.raises(ValueError, match="read-only"):
        v.numpy()[0] = 1
    with pytest.raises(ValueError, match="read-only"):
        y.numpy()[0, 0, 0, 0] = 5                   # (the copy would not see it: refused too)
    del v
    y.numpy()[0, 0, 0, 0] = 5                       # the copy gone: the convolution's own
    assert y[0, 0, 0, 0].item() == 5                # memory, writable


def test_state_dict_and_parameters_share_as_torchs():
    for L in LIBS:
        L.manual_seed(0)
        m = L.nn.Linear(3, 2)
        entry = m.state_dict()["weight"]
        array = entry.numpy()
        assert array.flags.writeable
        array[...] = 4
        assert m.weight.detach().tolist() == [[4.0] * 3] * 2
        m.weight.detach().numpy()[0, 0] = 1
        assert entry[0, 0].item() == 1
        copied = L.nn.Linear(3, 2)
        copied.load_state_dict(m.state_dict())
        copied.weight.detach().numpy()[...] = 0      # (load_state_dict copies the values)
        assert m.weight.detach()[1, 1].item() == 4


# ---------------------------------------------------------------- objects built on tensors
def _objects_answers(L):
    """What a write through ``numpy()`` reaches, for tensors that optimizers, data loaders,
    serialization and copies hand out (each row: did the write reach the other tensor?)."""
    import copy
    import io
    import pickle
    answers = {}
    p = L.nn.Parameter(L.ones(3))
    opt = L.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = L.ones(3)
    opt.step()
    saved = opt.state_dict()["state"][0]["momentum_buffer"]
    live = opt.state[p]["momentum_buffer"]
    q = L.nn.Parameter(L.ones(3))
    loaded = L.optim.SGD([q], lr=0.1, momentum=0.9)
    loaded.load_state_dict(opt.state_dict())
    before = saved.tolist(), live.tolist(), p.grad.tolist()
    _scribble(loaded.state[q]["momentum_buffer"].numpy())
    answers["sgd_load_state_dict"] = _changed(L, before[0], saved), _changed(L, before[1], live)
    before = p.grad.tolist()
    _scribble(live.numpy())
    answers["momentum_buffer_vs_grad"] = _changed(L, before, p.grad)
    r = L.nn.Parameter(L.ones(3))
    adam = L.optim.Adam([r])
    r.grad = L.ones(3)
    adam.step()
    state = adam.state[r]
    before = r.grad.tolist(), state["exp_avg_sq"].tolist()
    _scribble(state["exp_avg"].numpy())
    answers["adam_state"] = (_changed(L, before[0], r.grad),
                             _changed(L, before[1], state["exp_avg_sq"]))
    for batch_size in (None, 2):
        data = [np.arange(3, dtype=np.float32) + i for i in range(4)]
        first = next(iter(L.utils.data.DataLoader(data, batch_size=batch_size)))
        _scribble(first.numpy())
        answers[f"loader_of_arrays_{batch_size}"] = data[0].tolist()
    tensors = L.arange(6.0).reshape(3, 2)
    dataset = L.utils.data.TensorDataset(tensors)
    before = tensors.tolist()
    _scribble(dataset[0][0].numpy())
    answers["tensor_dataset_item"] = _changed(L, before, tensors)
    before = tensors.tolist()
    _scribble(next(iter(L.utils.data.DataLoader(dataset, batch_size=1)))[0].numpy())
    answers["tensor_dataset_batch"] = _changed(L, before, tensors)
    t = L.arange(3.0)
    buffer = io.BytesIO()
    L.save({"a": t, "b": t}, buffer)
    buffer.seek(0)
    back = L.load(buffer)
    before = back["b"].tolist(), t.tolist()
    _scribble(back["a"].numpy())
    answers["load_keeps_sharing"] = _changed(L, before[0], back["b"]), _changed(L, before[1], t)
    for name, make in (("deepcopy", copy.deepcopy), ("copy", copy.copy),
                       ("pickle", lambda t: pickle.loads(pickle.dumps(t)))):
        t = L.arange(3.0)
        before = t.tolist()
        _scribble(make(t).numpy())
        answers[name] = _changed(L, before, t)
    m = L.nn.Linear(2, 2)
    for assign in (False, True):
        other = L.nn.Linear(2, 2)
        other.load_state_dict(m.state_dict(), assign=assign)
        before = m.weight.tolist()
        _scribble(other.weight.detach().numpy())
        answers[f"load_state_dict_assign_{assign}"] = _changed(L, before, m.weight)
    return answers


def test_optimizers_loaders_serialization_share_as_torchs():
    assert _objects_answers(tg) == _objects_answers(torch)


# ---------------------------------------------------------------- every one-argument op
_SWEEP_INPUTS = {
    "float": lambda L: L.tensor([[1.5, -2.0, 3.0], [4.0, 0.5, -6.0]]),
    "int": lambda L: L.tensor([[1, -2, 3], [4, 0, -6]]),
    "uint8": lambda L: L.tensor([[1, 2, 3], [4, 0, 6]], dtype=L.uint8),
    "bool": lambda L: L.tensor([[True, False, True], [False, True, True]]),
    "float_0d": lambda L: L.tensor(2.5),
    "square": lambda L: L.tensor([[2.0, 0.5], [0.25, 3.0]]),
}
_NOT_OPS = {"numpy", "backward", "register_hook", "share_memory_", "data_ptr", "storage",
            "untyped_storage", "tolist", "item", "pin_memory", "retain_grad", "set_",
            "resize", "record_stream", "register_post_accumulate_grad_hook", "apply_", "map_",
            "new_empty", "storage_offset", "is_pinned", "cuda", "to_sparse", "dim_order",
            "from_numpy", "as_tensor", "asarray", "load", "save", "manual_seed", "seed",
            "set_default_dtype", "set_printoptions", "use_deterministic_algorithms",
            "compile", "set_num_threads", "set_grad_enabled", "set_default_tensor_type",
            "set_rng_state", "set_default_device", "typename", "set_flush_denormal",
            "set_warn_always", "set_float32_matmul_precision", "frombuffer", "from_dlpack",
            "vmap", "cond", "no_grad", "enable_grad", "inference_mode", "autocast",
            "initial_seed", "get_rng_state", "export", "jit", "fork", "wait"}


def _shares(L, x, y):
    if not isinstance(y, L.Tensor) or y.numel() == 0:
        return False
    if L is torch:
        return y.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    return np.may_share_memory(y.array, x.array)


def _one_argument_calls(where):
    """(name, call) for every public method of Tensor (``where='Tensor'``) or function of
    torch / torch.nn.functional / torch.special / torch.linalg that both libraries have and
    that takes the tensor alone (out-of-place names only)."""
    import inspect
    if where == "Tensor":
        names = set(dir(torch.Tensor)) & set(dir(tg.Tensor))
        return [(n, lambda L, x, n=n: (lambda a: a() if callable(a) else a)(getattr(x, n)))
                for n in sorted(names) if not n.startswith("_") and not n.endswith("_")
                and n not in _NOT_OPS and n not in ("detach", "requires_grad", "abs")]
    theirs = {"torch": torch, "F": torch.nn.functional, "special": torch.special,
              "linalg": torch.linalg}[where]
    mine = {"torch": tg, "F": tg.nn.functional, "special": tg.special, "linalg": tg.linalg}[where]
    names = [n for n in sorted(set(dir(theirs)) & set(dir(mine)))
             if not n.startswith("_") and not n.endswith("_") and n not in _NOT_OPS
             and callable(getattr(mine, n)) and not inspect.isclass(getattr(theirs, n))]
    return [(n, lambda L, x, n=n: getattr(theirs if L is torch else mine, n)(x))
            for n in names]


@pytest.mark.parametrize("kind", sorted(_SWEEP_INPUTS))
@pytest.mark.parametrize("where", ["Tensor", "torch", "F", "special", "linalg"])
def test_every_one_argument_op_shares_memory_exactly_where_torch_does(where, kind):
    """Each op that runs in both libraries on the input alone: its result (each result of a
    tuple) shares the input's memory exactly when torch's shares its storage. (An op that
    raises in either library is another test's business.)"""
    mismatched, compared = [], 0
    for name, call in _one_argument_calls(where):
        answers = []
        for L in LIBS:
            x = _SWEEP_INPUTS[kind](L)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    y = call(L, x)
            except Exception:
                break
            answers.append(tuple(_shares(L, x, v) for v in y) if isinstance(y, (tuple, list))
                           else _shares(L, x, y))
        if len(answers) == 2:
            compared += 1
            if answers[0] != answers[1]:
                mismatched.append((name, {"torch": answers[0], "tinygrad_sgd": answers[1]}))
    assert compared > 10 or where not in ("Tensor", "torch")   # (the sweep is not empty)
    assert mismatched == []


# ---------------------------------------------------------------- autograd's results
def _autograd_answers(L):
    """Which gradients share memory (with each other, with ``grad_outputs``), and the layout
    and writability of their ``numpy()``: torch passes a gradient through ``a + b`` to both
    inputs as one tensor in ``autograd.grad`` (and ``sum``'s as an expand), while ``.grad``
    gets its own memory."""
    def shared(a, b):
        if L is torch:
            return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()
        return bool(np.may_share_memory(a.array, b.array))
    answers = {}
    a, b = L.ones(3, requires_grad=True), L.ones(3, requires_grad=True)
    h = a * 2
    h.retain_grad()
    (h + b).sum().backward()
    answers["retained_vs_leaf"] = shared(h.grad, b.grad), shared(a.grad, b.grad)
    a, b, g = L.ones(3, requires_grad=True), L.ones(3, requires_grad=True), L.ones(3)
    ga, gb = L.autograd.grad(a + b, [a, b], g)
    answers["autograd_grad_add"] = shared(ga, gb), shared(ga, g)
    a, b, g = L.ones(3, requires_grad=True), L.ones(3, requires_grad=True), L.ones(3)
    (a + b).backward(g)
    answers["backward_add"] = shared(a.grad, b.grad), shared(a.grad, g)
    a, g = L.ones(3, requires_grad=True), L.ones(3)
    (a * 1).backward(g)
    (a * 1).backward(g)
    answers["accumulated"] = shared(a.grad, g)
    a = L.ones(2, 3, requires_grad=True)
    ga, = L.autograd.grad(a.sum(), a)
    answers["grad_of_sum"] = ga.stride(), ga.numpy().strides, ga.numpy().flags.writeable
    a, b = L.ones(3, requires_grad=True), L.ones(3, requires_grad=True)
    ga, gb = L.autograd.grad((a + b).sum(), [a, b])
    answers["grad_of_sum_add"] = shared(ga, gb)
    return answers


def test_autograd_results_share_memory_as_torchs():
    assert _autograd_answers(tg) == _autograd_answers(torch)


# ---------------------------------------------------------------- DLPack
DLPACK = [
    ("np_from_dlpack", lambda L, t: np.from_dlpack(t)),
    ("from_dlpack", lambda L, t: L.from_dlpack(t).numpy()),
    ("to_dlpack_and_back", lambda L, t: L.utils.dlpack.from_dlpack(
        L.utils.dlpack.to_dlpack(t)).numpy()),
    ("np_from_dlpack_expand", lambda L, t: np.from_dlpack(t.expand(2, 3))),
    ("np_from_dlpack_transposed", lambda L, t: np.from_dlpack(t.expand(2, 3).t())),
    ("from_dlpack_of_array", lambda L, t: L.from_dlpack(t.numpy()).numpy()),
]


@pytest.mark.parametrize("name,fn", DLPACK, ids=[row[0] for row in DLPACK])
def test_dlpack_shares_writable_memory_as_torchs(name, fn):
    def answers(L):
        t = L.arange(3.0)
        a = fn(L, t)
        writable = a.flags.writeable
        if writable:
            a.flat[0] = 42
        return writable, a.strides, t.tolist()
    assert answers(tg) == answers(torch)


# ---------------------------------------------------------------- values computed ahead
_WRITES = {
    "detach_numpy": lambda t: t.detach().numpy().fill(-5.0),
    "numpy_force": lambda t: t.numpy(force=True).fill(-5.0),
    "data_numpy": lambda t: t.data.numpy().fill(-5.0),
    "asarray_of_detach": lambda t: np.asarray(t.detach()).fill(-5.0),
    "data_fill_": lambda t: t.data.fill_(-5.0),
}


@pytest.mark.parametrize("how", sorted(_WRITES))
@pytest.mark.parametrize("where", ["conv_output", "pool_output"])
def test_write_between_conv_pool_relu_is_seen(where, how):
    """A training step's convolution pools its output ahead, and the pooling its relu (ops/
    conv.py, ops/pool.py), reused unless the output changed since. A NumPy write (or one
    through ``.data``) moves no version counter — as in torch — yet must be seen, as torch's
    next op sees it."""
    def run(L):
        L.manual_seed(0)
        x = L.tensor(np.arange(64 * 28 * 28, dtype=np.float32).reshape(64, 1, 28, 28) % 13 / 13
                     - 0.5)
        conv = L.nn.Conv2d(1, 10, 5)
        sums = []
        for step in range(3):        # (the library learns conv -> pool -> relu in a step)
            y = conv(x)
            if step == 2 and where == "conv_output":
                _WRITES[how](y)
            p = L.nn.functional.max_pool2d(y, 2)
            if step == 2 and where == "pool_output":
                _WRITES[how](p)
            r = L.nn.functional.relu(p)
            r.sum().backward()
            sums.append(round(r.detach().sum().item(), 1))
        return sums
    want = run(torch)
    assert want[-1] == 0.0 and want[0] > 0
    assert run(tg) == want
