"""The meta device beyond building models, against torch: autograd through meta tensors,
optimizer steps over meta parameters, ``save``/``load`` of meta tensors, the factories with a
meta branch of their own (windows, ``tril_indices``/``triu_indices``, ``empty_strided``) and
the strides of meta views. Each case is a small program run twice — with ``torch`` and with
``tinygrad_sgd`` as ``T`` — that describes what it made (shapes, dtypes, devices, ``is_meta``,
``grad_fn is None``, ``is_leaf``, strides, errors as class and message); the two descriptions
must be equal."""
import copy
import io
import os
import pickle

import pytest
import torch

import tinygrad_sgd as tg


def describe(t):
    """What a program's tensor is, library-neutral (``float32``, ``meta``, tuples)."""
    if t is None:
        return None
    if not isinstance(t, (torch.Tensor, tg.Tensor)):
        return repr(t)
    d = (type(t).__name__, tuple(t.shape), str(t.dtype).split(".")[-1], str(t.device),
         t.is_meta, t.requires_grad, t.grad_fn is None, t.is_leaf)
    return d + ((tuple(t.stride()), t.storage_offset()) if t.is_meta else (t.tolist(),))


def run(program, T):
    """``program(T)`` → its records, or the error it raised (class name, message)."""
    T.manual_seed(0)
    try:
        return program(T)
    except Exception as e:         # (compared with torch's below)
        return ("error", type(e).__name__, str(e).replace("tinygrad_sgd", "torch"))


def same_as_torch(program):
    ours, theirs = run(program, tg), run(program, torch)
    assert ours == theirs


def meta(T, *shape, **kw):
    return T.randn(*shape, device="meta", **kw)


# ------------------------------------------------------------------------------ models
MODELS = {
    "linear": (lambda T: T.nn.Linear(4, 3), lambda T, m: m(meta(T, 2, 4)).sum()),
    "conv2d": (lambda T: T.nn.Conv2d(3, 5, 3, padding=1),
               lambda T, m: m(meta(T, 2, 3, 8, 8)).mean()),
    "conv2d_no_bias_stride": (lambda T: T.nn.Conv2d(2, 4, 3, stride=2, bias=False),
                              lambda T, m: m(meta(T, 1, 2, 9, 9)).pow(2).sum()),
    "layernorm": (lambda T: T.nn.LayerNorm(6), lambda T, m: m(meta(T, 2, 6)).pow(2).sum()),
    "embedding": (lambda T: T.nn.Embedding(10, 4),
                  lambda T, m: m(T.zeros(3, dtype=T.long, device="meta")).sum()),
    "mlp_cross_entropy": (
        lambda T: T.nn.Sequential(T.nn.Linear(4, 8), T.nn.ReLU(), T.nn.Linear(8, 3)),
        lambda T, m: T.nn.functional.cross_entropy(m(meta(T, 5, 4)),
                                                   T.zeros(5, dtype=T.long, device="meta"))),
    "mlp_softmax": (
        lambda T: T.nn.Sequential(T.nn.Linear(4, 8), T.nn.ReLU(), T.nn.Linear(8, 3),
                                  T.nn.Softmax(dim=1)),
        lambda T, m: m(meta(T, 5, 4)).sum()),
    "lstm": (lambda T: T.nn.LSTM(4, 6, batch_first=True),
             lambda T, m: m(meta(T, 2, 5, 4))[0].sum()),
    "batchnorm": (lambda T: T.nn.BatchNorm1d(4), lambda T, m: m(meta(T, 3, 4)).sum()),
    "weight_used_twice": (lambda T: T.nn.Linear(4, 4),
                          lambda T, m: (m(meta(T, 2, 4)) * m.weight.sum()).sum()),
    "float64_model": (lambda T: T.nn.Linear(4, 3).double(),
                      lambda T, m: m(meta(T, 2, 4).double()).float().sum()),
    "gru": (lambda T: T.nn.GRU(3, 4), lambda T, m: m(meta(T, 5, 2, 3))[0].sum()),
    "rnn_two_layers_hidden": (lambda T: T.nn.RNN(3, 4, num_layers=2),
                              lambda T, m: m(meta(T, 5, 2, 3))[1].sum()),
    "multihead_attention": (lambda T: T.nn.MultiheadAttention(8, 2, batch_first=True),
                            lambda T, m: m(*(meta(T, 2, 3, 8),) * 3)[0].sum()),
    "transformer_encoder_layer": (
        lambda T: T.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True),
        lambda T, m: m(meta(T, 2, 3, 8)).sum()),
    "cnn_nll": (
        lambda T: T.nn.Sequential(T.nn.Conv2d(1, 4, 3), T.nn.BatchNorm2d(4), T.nn.ReLU(),
                                  T.nn.MaxPool2d(2), T.nn.Flatten(), T.nn.Dropout(0.5),
                                  T.nn.Linear(4 * 3 * 3, 10)),
        lambda T, m: T.nn.functional.nll_loss(
            T.nn.functional.log_softmax(m(meta(T, 2, 1, 8, 8)), 1),
            T.zeros(2, dtype=T.long, device="meta"))),
    "gelu_mse": (lambda T: T.nn.Sequential(T.nn.Linear(3, 5), T.nn.GELU(), T.nn.Linear(5, 2)),
                 lambda T, m: T.nn.functional.mse_loss(m(meta(T, 4, 3)), meta(T, 4, 2))),
    "embedding_bag": (lambda T: T.nn.EmbeddingBag(10, 3, mode="mean"),
                      lambda T, m: m(T.zeros(2, 4, dtype=T.long, device="meta")).sum()),
    "conv_transpose2d": (lambda T: T.nn.ConvTranspose2d(3, 2, 3, stride=2),
                         lambda T, m: m(meta(T, 1, 3, 4, 4)).sum()),
}


@pytest.mark.parametrize("name", MODELS)
def test_backward_through_a_model_built_on_meta(name):
    build, forward = MODELS[name]

    def program(T):
        with T.device("meta"):
            model = build(T)
        records = []
        for _ in range(2):                  # (the second backward: still meta gradients)
            loss = forward(T, model)
            records.append(describe(loss))
            loss.backward()
            records.append([(n, describe(p), describe(p.grad))
                            for n, p in model.named_parameters()])
        return records
    same_as_torch(program)


# ------------------------------------------------------------------------------ the graph
def _hooks(T):
    seen = []                    # (the gradients a hook sees: without their strides, which
    w = meta(T, 3, requires_grad=True)       # are torch's backward formulas' own: see meta.py)
    w.register_hook(lambda g: seen.append(("leaf", describe(g)[:-2])))
    v = w * 2
    v.retain_grad()
    v.register_hook(lambda g: seen.append(("v", describe(g)[:-2])))
    w.register_post_accumulate_grad_hook(lambda p: seen.append(("post", describe(p.grad))))
    v.sum().backward()
    return seen, describe(v.grad), describe(w.grad), describe(v)


def _autograd_grad(T):
    a, b = meta(T, 2, 3, requires_grad=True), meta(T, 3, requires_grad=True, dtype=T.float64)
    grads = T.autograd.grad((a * b).sum(), [a, b])
    unused = T.autograd.grad((a * 2).sum(), [a, b], allow_unused=True)
    zeros = T.autograd.grad((a * 2).sum(), [a, b], materialize_grads=True)
    return [describe(g) for g in grads + unused + zeros], describe(a.grad)


def _backward_inputs(T):
    a, b = meta(T, 2, 3, requires_grad=True), meta(T, 3, requires_grad=True)
    (a * b).sum().backward(inputs=[b])
    return describe(a.grad), describe(b.grad)


def _retain_graph(T):
    c = meta(T, 4, requires_grad=True)
    d = c.exp()
    d.retain_grad()
    d.sum().backward(retain_graph=True)
    d.sum().backward()
    return describe(c.grad), describe(d.grad), describe(d)


def _broadcast_tensors(T):
    p, q = meta(T, 3, requires_grad=True), meta(T, 2, 1, requires_grad=True)
    o = T.broadcast_tensors(p, q)
    o[0].sum().backward()
    return describe(p.grad), describe(q.grad)


def _transposed_leaf(T):
    t = meta(T, 3, 4).t().requires_grad_()
    (t * 2).sum().backward()
    return describe(t.grad)


def _mixed_ops(T):
    p, q = meta(T, 2, 3, requires_grad=True), meta(T, 3, 4, requires_grad=True)
    out = T.cat([(p @ q)[0], p[:, 1]]).mean()
    out.backward()
    return describe(out), describe(p.grad), describe(q.grad)


def _no_grad(T):
    f = meta(T, 3, requires_grad=True)
    with T.no_grad():
        g = f * 2
    return describe(g), describe(f.detach()), describe(f.argmax()), describe(f > 0)


def _inplace_on_a_result(T):
    f = meta(T, 3, requires_grad=True)
    h = f * 2
    h.add_(1)
    h.sum().backward()
    return describe(h), describe(f.grad)


def _cast(T):
    f = meta(T, 3, requires_grad=True, dtype=T.float64)
    g = f.to(T.float32)
    (g * 2).sum().backward()
    return describe(g), describe(f.grad), describe(f.to(T.int64))


def _sum_twice(T):                         # (sum saves nothing: a second backward runs)
    a = meta(T, 3, requires_grad=True)
    s = a.sum()
    s.backward()
    s.backward()
    return describe(a.grad)


def _mul_twice(T):                         # (mul saved its inputs: freed)
    a = meta(T, 3, requires_grad=True)
    m = (a * a).sum()
    m.backward()
    m.backward()


def _cpu_scalar_requiring_grad(T):         # (a meta gradient never reaches a CPU .grad)
    x = T.tensor(2., requires_grad=True)
    (x * meta(T, 3, requires_grad=True)).sum().backward()
    return describe(x.grad)


def _cpu_scalar_not_requiring_grad(T):
    z = meta(T, 3, requires_grad=True)
    (z * T.tensor(3.)).sum().backward()
    return describe(z.grad)


def _cpu_to_meta(T):
    x = T.ones(3, requires_grad=True)
    m = x.to("meta")
    records = [describe(m)]
    (m * 2).sum().backward()
    return records, describe(x.grad)


def _cpu_seed(T):
    b = meta(T, 2, 3, requires_grad=True)
    (b * 2).backward(T.ones(2, 3))


def _meta_seed(T):
    b = meta(T, 2, 3, requires_grad=True)
    (b * 2).backward(T.empty(2, 3, device="meta"))
    return describe(b.grad)


def _no_seed(T):
    (meta(T, 3, requires_grad=True) * 2).backward()


def _leaf_inplace(T):
    meta(T, 3, requires_grad=True).add_(1)


def _leaf_setitem(T):
    meta(T, 3, requires_grad=True)[0] = 1.0


def _leaf_setitem_no_grad(T):
    a = meta(T, 3, requires_grad=True)
    with T.no_grad():
        a[0] = 1.0
        a.uniform_()
    return describe(a)


def _assign_cpu_grad(T):
    meta(T, 2, requires_grad=True).grad = T.zeros(2)


def _assign_meta_grad_to_cpu(T):
    T.zeros(2, requires_grad=True).grad = T.zeros(2, device="meta")


def _assign_meta_grad(T):
    p = meta(T, 2, requires_grad=True)
    p.grad = T.zeros(2, device="meta")
    (p * 2).sum().backward()
    return describe(p.grad)


def _inplace_rebases_history(T):
    a, b = meta(T, 3, requires_grad=True), meta(T, 3, requires_grad=True)
    records = []
    steps = (lambda h: h.add_(b), lambda h: h.mul_(b), lambda h: h.zero_(),
             lambda h: h.copy_(b), lambda h: h.__setitem__(0, b[1]))
    for i, step in enumerate(steps):       # (a result, then a plain meta tensor: both ways)
        h = T.empty(3, device="meta") if i % 2 else a * 2
        step(h)
        records.append(describe(h))
        h.sum().backward()
        records.append((describe(a.grad), describe(b.grad)))
    c = T.empty(3, device="meta")
    c.uniform_()
    return records + [describe(c)]


def _inplace_with_a_cpu_operand(T):
    m = T.empty(3, device="meta")
    m.mul_(T.tensor(2., requires_grad=True))
    m.sum().backward()


def _relu_inplace(T):
    a = meta(T, 3, requires_grad=True)
    h = a * 2
    out = T.nn.functional.relu(h, inplace=True)
    records = [out is h, describe(h)]
    h.sum().backward()
    with T.device("meta"):
        m = T.nn.Sequential(T.nn.Linear(3, 3), T.nn.ReLU(inplace=True), T.nn.Linear(3, 1))
    m(meta(T, 2, 3)).sum().backward()
    records += [describe(a.grad), describe(m[0].weight.grad)]
    try:
        T.nn.functional.relu(a, inplace=True)
    except RuntimeError as e:
        records.append(str(e))
    return records


GRAPHS = {f.__name__.strip("_"): f for f in (
    _inplace_rebases_history, _inplace_with_a_cpu_operand, _relu_inplace,
    _hooks, _autograd_grad, _backward_inputs, _retain_graph, _broadcast_tensors,
    _transposed_leaf, _mixed_ops, _no_grad, _inplace_on_a_result, _cast, _sum_twice,
    _mul_twice, _cpu_scalar_requiring_grad, _cpu_scalar_not_requiring_grad, _cpu_to_meta,
    _cpu_seed, _meta_seed, _no_seed, _leaf_inplace, _leaf_setitem, _leaf_setitem_no_grad,
    _assign_cpu_grad,
    _assign_meta_grad_to_cpu, _assign_meta_grad)}


@pytest.mark.parametrize("name", GRAPHS)
def test_graph_through_meta_tensors(name):
    same_as_torch(GRAPHS[name])


# ------------------------------------------------------------------------------ optimizers
OPTIMIZERS = {
    "sgd": lambda T, p: T.optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda T, p: T.optim.SGD(p, lr=0.1, momentum=0.9),
    "sgd_nesterov_decay": lambda T, p: T.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True,
                                                   weight_decay=1e-2),
    "sgd_maximize": lambda T, p: T.optim.SGD(p, lr=0.1, momentum=0.5, maximize=True),
    "adam": lambda T, p: T.optim.Adam(p, lr=1e-3),
    "adam_amsgrad_decay": lambda T, p: T.optim.Adam(p, lr=1e-3, amsgrad=True,
                                                    weight_decay=0.1),
    "adamw": lambda T, p: T.optim.AdamW(p, lr=1e-3),
    "rmsprop_momentum": lambda T, p: T.optim.RMSprop(p, lr=1e-3, momentum=0.5),
    "adagrad": lambda T, p: T.optim.Adagrad(p, lr=1e-3),
    "adamw_amsgrad": lambda T, p: T.optim.AdamW(p, amsgrad=True),
    "nadam": lambda T, p: T.optim.NAdam(p, lr=1e-3),
    "radam": lambda T, p: T.optim.RAdam(p),
    "adamax": lambda T, p: T.optim.Adamax(p),
    "adadelta": lambda T, p: T.optim.Adadelta(p),
    "rprop": lambda T, p: T.optim.Rprop(p),
    "rmsprop_centered": lambda T, p: T.optim.RMSprop(p, centered=True),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_step_over_meta_parameters(name):
    def program(T):
        with T.device("meta"):
            model = T.nn.Sequential(T.nn.Linear(4, 3), T.nn.ReLU(), T.nn.Linear(3, 2))
        opt = OPTIMIZERS[name](T, model.parameters())
        for _ in range(2):
            opt.zero_grad()
            model(meta(T, 2, 4)).sum().backward()
            opt.step()
        records = [(n, describe(p), describe(p.grad)) for n, p in model.named_parameters()]
        records.append([sorted((k, describe(v)) for k, v in opt.state[p].items())
                        for p in model.parameters()])
        opt.zero_grad(set_to_none=False)
        records.append(describe(model[0].weight.grad))
        opt.zero_grad()
        records.append(describe(model[0].weight.grad))
        return records
    same_as_torch(program)


def test_optimizer_with_meta_and_cpu_parameters():
    """A group mixing a meta and a CPU parameter: the CPU one is updated (the same numbers
    as torch's), the meta one only gets its state."""
    def program(T):
        cpu = T.nn.Parameter(T.ones(3))
        on_meta = T.nn.Parameter(T.empty(3, device="meta"))
        opt = T.optim.SGD([cpu, on_meta], lr=0.5, momentum=0.9)
        (cpu * T.arange(3.)).sum().backward()
        (on_meta * 2).sum().backward()
        opt.step()
        opt.step()
        return describe(cpu.detach()), describe(on_meta), \
            describe(opt.state[on_meta]["momentum_buffer"])
    same_as_torch(program)


# ------------------------------------------------------------------------------ save / load
def _saved(T):
    with T.device("meta"):
        m = T.nn.Linear(3, 2)
    return {"w": m.weight, "b": m.bias, "sd": m.state_dict(),
            "t": T.empty(4, 5, device="meta", dtype=T.float64).t(),
            "x": T.empty(4, 5, device="meta")[1:, 2],
            "i": T.empty(3, dtype=T.int64, device="meta"),
            "p": T.empty(2, device="meta", requires_grad=True),
            "h": T.empty(2, 2, dtype=T.float16, device="meta"),
            "bo": T.empty(2, 2, dtype=T.bool, device="meta"), "cpu": T.arange(3.)}


def _loaded(obj):
    return {k: (type(v).__name__, {kk: describe(vv) for kk, vv in v.items()})
            if isinstance(v, dict) else describe(v) for k, v in obj.items()}


@pytest.mark.parametrize("writer,reader", [(tg, tg), (tg, torch), (torch, tg)])
def test_save_and_load_meta_tensors(writer, reader, tmp_path):
    path = os.fspath(tmp_path / "meta.pt")
    writer.save(_saved(writer), path)
    assert _loaded(reader.load(path)) == _loaded(torch.load(_torch_file(tmp_path)))


def _torch_file(tmp_path):
    path = os.fspath(tmp_path / "reference.pt")
    torch.save(_saved(torch), path)
    return path


def test_save_one_meta_tensor_to_a_buffer():
    def program(T):
        buffer = io.BytesIO()
        T.save(T.empty(2, 3, device="meta").t(), buffer)
        return describe(T.load(io.BytesIO(buffer.getvalue())))
    same_as_torch(program)


PICKLED = ["pickle.loads(pickle.dumps(v))", "copy.deepcopy(v)", "copy.copy(v)",
           "pickle.loads(pickle.dumps(T.nn.Parameter(T.empty(2, 3, device='meta'))))",
           "pickle.loads(pickle.dumps(T.empty(3, device='meta', requires_grad=True)))",
           "copy.deepcopy(T.nn.Linear(3, 2, device='meta')).weight"]


@pytest.mark.parametrize("expr", PICKLED)
def test_pickle_and_copy_of_meta_tensors(expr):
    def program(T):
        v = T.empty(4, 5, device="meta")[1:, 2]
        return describe(eval(expr, {"T": T, "v": v, "pickle": pickle, "copy": copy}))
    same_as_torch(program)


# ------------------------------------------------------------------------------ factories
FACTORIES = [
    "T.hann_window(5{})", "T.hann_window(5, periodic=False, dtype=T.float64{})",
    "T.hamming_window(6{})", "T.blackman_window(4{})",
    "T.bartlett_window(7, requires_grad=True{})", "T.kaiser_window(8{})", "T.hann_window(0{})",
    "T.hann_window(1{})", "T.hann_window(-1{})", "T.hann_window(3, dtype=T.long{})",
    "T.tril_indices(4, 3{})", "T.triu_indices(3, 5, 1{})", "T.tril_indices(5, 4, -2{})",
    "T.triu_indices(4, 6, -3{})", "T.tril_indices(0, 3{})",
    "T.tril_indices(3, 3, dtype=T.int32{})", "T.tril_indices(3, 3, dtype=T.float32{})",
    "T.empty_strided((2, 3), (1, 2){})", "T.empty_strided((2, 3, 4), (12, 1, 3), "
    "dtype=T.float64{})", "T.empty_strided((2, 3), (3, 1), requires_grad=True{})",
    "T.empty_strided((2, 0), (1, 1){})", "T.empty_strided((2, 3), (0, 1){})",
    "T.empty(2, 3).new_empty_strided((3, 2), (1, 3){})",
]


@pytest.mark.parametrize("how", ["device='meta'", "with T.device('meta')"])
@pytest.mark.parametrize("expr", FACTORIES)
def test_factories_on_meta(expr, how):
    def program(T):
        if how.startswith("with"):
            with T.device("meta"):
                return describe(eval(expr.format(""), {"T": T}))
        return describe(eval(expr.format(", device='meta'"), {"T": T}))
    same_as_torch(program)


def test_tril_and_triu_counts_as_torch():
    for row in range(5):
        for col in range(5):
            for offset in range(-6, 7):
                for name in ("tril_indices", "triu_indices"):
                    assert tuple(getattr(tg, name)(row, col, offset, device="meta").shape) == \
                        tuple(getattr(torch, name)(row, col, offset, device="meta").shape)


# ------------------------------------------------------------------------------ strides
VIEWS = ["x[0]", "x[:, 1]", "x[::2]", "x[1:3]", "x[..., 2:]", "x[:, ::2, 1]", "x[None]",
         "x.narrow(1, 1, 2)", "x.select(2, 3)", "x[:, :1].expand(4, 7, 6)", "x.diagonal(0, 1, 2)",
         "x.unfold(2, 2, 1)", "x.split(2, 1)[1]", "x.chunk(2, 0)[1]", "x.unbind(1)[2]",
         "xt[0]", "xt.unsqueeze(1)", "xt.flatten(1)", "xt.reshape(6, 20)", "x.view(20, 6)",
         "x.as_strided((2, 2), (3, 1), 1)", "x[:, :1].squeeze(1)", "x.tensor_split(3, 2)[1]",
         "x.mT[1]", "x.movedim(0, -1)[1:]", "xt[:, 1:]", "xt.contiguous()", "x[:, 1].t()",
         "x[:, :1].broadcast_to(2, 4, 5, 6)", "xt.clone()", "xt * 2", "x[:, 1] + 1",
         "x[::2] * x[::2]", "x[1:].view(-1)", "x[1:][1:, 2:]", "x.permute(2, 0, 1)[1:, ::2]",
         "x[1].T", "x.mT.relu()", "x[2:].sum(1)", "x[:, 1:].exp()", "x[1:].transpose(0, 1)"]


@pytest.mark.parametrize("expr", VIEWS)
def test_strides_of_meta_views(expr):
    def program(T):
        x = T.empty(4, 5, 6, device="meta")
        r = eval(expr, {"x": x, "xt": x.transpose(0, 2), "T": T})
        return tuple(r.shape), r.stride(), r.is_contiguous(), r.storage_offset()
    same_as_torch(program)
