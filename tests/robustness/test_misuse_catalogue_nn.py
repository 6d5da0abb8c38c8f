"""Misuse catalogue, part 2 — what a model touches: nn layers with wrong input shapes and
dtypes, conv/pool arguments, losses with wrong targets, optimisers with bad parameters or
options, DataLoader misuse, state_dict mismatches, backward and autograd.grad misuse, no_grad
and in-place on leaves, save/load. Same harness as part 1 (misuse_harness.py): one program,
run on tinygrad_sgd and on torch, same exception class and essential message, or same value.
"""
import os
import tempfile

from misuse_harness import Case, check, parametrize, raises, value

STALE = r"one of the variables needed for gradient computation has been modified by an " \
        r"inplace operation"
TWICE = r"Trying to backward through the graph a second time"
NO_GRAD_FN = r"element 0 of tensors does not require grad and does not have a grad_fn"


def leaf(L, *values):
    return L.tensor(list(values), requires_grad=True)


def _backward_twice(L, op):
    x = leaf(L, 0.5, 2.0)
    y = getattr(x, op)().sum()
    y.backward()
    y.backward()


def _changed_then_backward(L, change):
    x = leaf(L, 0.5, 2.0)
    y = x.sigmoid()
    change(y)
    y.sum().backward()
    return x.grad


def _grad_twice(L):
    x = leaf(L, 1.0, 2.0)
    y = (x * x).sum()
    L.autograd.grad(y, [x])
    return L.autograd.grad(y, [x])


def _second_order_without_create_graph(L):
    x = leaf(L, 1.0, 2.0)
    (g,) = L.autograd.grad((x ** 3).sum(), [x])
    return L.autograd.grad(g.sum(), [x])


def _second_order(L):
    x = leaf(L, 1.0, 2.0)
    (g,) = L.autograd.grad((x ** 3).sum(), [x], create_graph=True)
    return L.autograd.grad(g.sum(), [x])


def _under_no_grad(L, f):
    with L.no_grad():
        return f()


def _inplace_on_leaf_under_no_grad(L):
    x = leaf(L, 1.0, 2.0)
    with L.no_grad():
        x.mul_(3.0)
    x.sum().backward()
    return x, x.grad


def _backward_under_no_grad(L):
    x = leaf(L, 1.0, 2.0)
    y = (x * x).sum()
    with L.no_grad():
        y.backward()
    return x.grad


def _step(L, opt, **options):
    p = L.nn.Parameter(L.tensor([1.0, -2.0]))
    o = getattr(L.optim, opt)([p], **options)
    (p * p).sum().backward()
    o.step()
    return p


def _load(L, module, state, strict=True):
    m = module(L)
    return m.load_state_dict(state(L), strict=strict)


def _load_ints(L):
    m = L.nn.Linear(1, 1)
    m.load_state_dict({"weight": L.tensor([[3]]), "bias": L.tensor([1])})
    return m.weight, m.bias


def _batches(L, dataset, **options):
    return [list(b) if isinstance(b, (list, tuple)) else b
            for b in L.data.DataLoader(dataset(L), **options)]


def _save_load(L, path_of):
    with tempfile.TemporaryDirectory() as d:
        path = path_of(d)
        L.save({"w": L.ones(2)}, path)
        return L.load(path)["w"]


def _linear(L, fin, fout):
    L.manual_seed(0)
    return L.nn.Linear(fin, fout)


CASES = [
    # ------------------------------------------------------------ nn layers: input shapes, dtypes
    Case("Linear, 1-D input of the wrong size", lambda L: L.nn.Linear(3, 2)(L.ones(4)), raises(
        RuntimeError, r"mat1 and mat2 shapes cannot be multiplied \(1x4 and 3x2\)",
        ours=r"input of shape \(4,\) has 4 features but the weight of shape \(2, 3\) expects 3")),
    Case("Linear, float64 input, float32 weight", lambda L: L.nn.Linear(2, 2)(
        L.ones(1, 2, dtype=L.float64)), raises(
        RuntimeError, r"mat1 and mat2 must have the same dtype, but got Double and Float")),
    Case("Linear(-1, 2)", lambda L: L.nn.Linear(-1, 2), raises(
        RuntimeError, r"negative dimension -1",
        ours=r"in_features must be a non-negative integer, got -1")),
    Case("F.linear with a NumPy weight", lambda L: L.F.linear(
        L.ones(1, 2), __import__("numpy").ones((2, 2), "float32")), raises(
        TypeError, r"linear\(\): argument 'weight' \(position 2\) must be Tensor, not "
                   r"(numpy.)?ndarray")),
    Case("BatchNorm1d, wrong feature count", lambda L: L.nn.BatchNorm1d(3)(L.ones(2, 4)), raises(
        RuntimeError, r"running_mean should contain 4 elements not 3")),
    Case("BatchNorm2d, 3-D input", lambda L: L.nn.BatchNorm2d(3)(L.ones(2, 3, 4)), raises(
        ValueError, r"expected 4D input \(got 3D input\)")),
    Case("BatchNorm1d, one sample while training", lambda L: L.nn.BatchNorm1d(3)(L.ones(1, 3)),
         raises(ValueError, r"Expected more than 1 value per channel when training, got input "
                            r"size .*\[1, 3\]")),
    Case("LayerNorm, wrong last dim", lambda L: L.nn.LayerNorm(4)(L.ones(2, 3)), raises(
        RuntimeError, r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but "
                      r"got input of size ?\[2, 3\]")),
    Case("Embedding, index past the table", lambda L: L.nn.Embedding(5, 2)(L.tensor([5])),
         raises(IndexError, r"index out of range in self")),
    Case("Embedding, float indices", lambda L: L.nn.Embedding(5, 2)(L.tensor([1.0])), raises(
        RuntimeError, r"Expected tensor for argument #1 'indices' to have one of the following "
                      r"scalar types: Long, Int; but got .*(Float|float32)")),
    Case("Dropout(p=1.5)", lambda L: L.nn.Dropout(1.5), raises(
        ValueError, r"dropout probability has to be between 0 and 1, but got 1.5")),
    Case("F.dropout(p=-0.1)", lambda L: L.F.dropout(L.ones(2), -0.1), raises(
        ValueError, r"dropout probability has to be between 0 and 1, but got -0.1")),
    Case("Softmax(dim=2) on 2-D", lambda L: L.nn.Softmax(dim=2)(L.ones(2, 3)), raises(
        IndexError, r"out of range.*\[-2, 1\]")),
    Case("Sequential of a non-Module", lambda L: L.nn.Sequential(L.nn.ReLU(), 3)(L.ones(2)),
         raises(TypeError, r"int is not a Module subclass",
                ours=r"Sequential: argument 1 is a int, not a Module")),
    Case("empty Sequential is the identity", lambda L: L.nn.Sequential()(L.ones(2)), value()),
    Case("module name with a dot", lambda L: L.nn.Module().add_module("a.b", L.nn.ReLU()),
         raises(KeyError, r"module name can.{1,2}t contain .{1,2}\..{1,2}, got: a\.b")),
    Case("register_parameter of a plain Tensor", lambda L: L.nn.Module().register_parameter(
        "w", L.ones(2)), raises(
        TypeError, r"cannot assign '.*' object to parameter 'w' \(torch.nn.Parameter or None "
                   r"required\)")),
    Case("Module without forward", lambda L: L.nn.Module()(L.ones(2)), raises(
        NotImplementedError, r"Module \[Module\] is missing the required \"forward\" function",
        ours=r"Module has no forward\(\) method")),
    Case("ModuleList index out of range", lambda L: L.nn.ModuleList([L.nn.ReLU()])[3], raises(
        IndexError, r"index 3 is out of range")),
    Case("unknown attribute of a Module", lambda L: L.nn.Linear(2, 2).wieght, raises(
        AttributeError, r"'Linear' object has no attribute 'wieght'")),
    Case("PReLU with more parameters than channels", lambda L: L.nn.PReLU(3)(L.ones(2, 2)),
         raises(RuntimeError, r"[Mm]ismatch of parameter numbers and input channel size",
                ours=r"3.*2|2.*3")),
    # ------------------------------------------------------------ conv and pool arguments
    Case("Conv2d, channels not divisible by groups", lambda L: L.nn.Conv2d(3, 4, 3, groups=2),
         raises(ValueError, r"in_channels must be divisible by groups")),
    Case("Conv2d, padding='same' with stride 2", lambda L: L.nn.Conv2d(1, 1, 3, stride=2,
                                                                        padding="same"),
         raises(ValueError, r"padding='same' is not supported for strided convolutions")),
    Case("Conv2d, unknown padding string", lambda L: L.nn.Conv2d(1, 1, 3, padding="full"),
         raises(ValueError, r"Invalid padding string 'full', should be one of "
                            r"\{'(valid|same)', '(valid|same)'\}")),
    Case("Conv2d, unknown padding_mode", lambda L: L.nn.Conv2d(1, 1, 3, padding_mode="wrap"),
         raises(ValueError, r"padding_mode must be one of .*'zeros'.*but got padding_mode='wrap'",
                ours=r"padding_mode must be one of .*zeros.*wrap")),
    Case("conv1d of a 4-D input", lambda L: L.F.conv1d(L.ones(1, 1, 4, 4), L.ones(1, 1, 3)),
         raises(RuntimeError, r"Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d, "
                              r"but got input of size: \[1, 1, 4, 4\]",
                ours=r"conv1d.*\(1, 1, 4, 4\)")),
    Case("conv2d, float64 weight on float32 input", lambda L: L.F.conv2d(
        L.ones(1, 1, 4, 4), L.ones(1, 1, 3, 3, dtype=L.float64)), raises(
        RuntimeError, r"should be the same|expected scalar type")),
    Case("conv_transpose2d, output_padding >= stride", lambda L: L.F.conv_transpose2d(
        L.ones(1, 1, 3, 3), L.ones(1, 1, 3, 3), stride=1, output_padding=1), raises(
        RuntimeError, r"output padding must be smaller than either stride or dilation")),
    Case("avg_pool2d of a 5-D input", lambda L: L.F.avg_pool2d(L.ones(1, 1, 1, 4, 4), 2),
         raises(RuntimeError, r"Expected 3D or 4D \(batch mode\) tensor .*but got: ?"
                              r"\[1, 1, 1, 4, 4\]")),
    Case("max_pool1d of a 4-D input", lambda L: L.F.max_pool1d(L.ones(1, 1, 4, 4), 2),
         raises(RuntimeError, r"max_pool1d: Expected 2D or 3D \(batch mode\) tensor .*but "
                              r"got: ?\[1, 1, 4, 4\]")),
    Case("adaptive_avg_pool2d of 2-D input", lambda L: L.F.adaptive_avg_pool2d(L.ones(4, 4), 2),
         raises(RuntimeError, r"adaptive_avg_pool2d\(\): Expected 3D or 4D tensor, but got "
                              r"\[4, 4\]", ours=r"adaptive_avg_pool2d.*\(4, 4\)")),
    Case("max_pool2d with indices", lambda L: L.F.max_pool2d(
        L.arange(16.0).reshape(1, 1, 4, 4), 2, return_indices=True), value()),
    # ------------------------------------------------------------ losses and targets
    Case("cross_entropy, negative target", lambda L: L.F.cross_entropy(
        L.ones(2, 3), L.tensor([0, -5])), raises(IndexError, r"Target -5 is out of bounds",
                                     ours=r"target value -5 is out of range for 3 classes")),
    Case("cross_entropy, probabilities target", lambda L: L.F.cross_entropy(
        L.tensor([[1.0, 2.0], [0.5, 0.0]]), L.tensor([[0.3, 0.7], [1.0, 0.0]])), value()),
    Case("cross_entropy, label_smoothing 1.5", lambda L: L.F.cross_entropy(
        L.ones(2, 3), L.tensor([0, 1]), label_smoothing=1.5), raises(
        RuntimeError, r"label_smoothing must be between 0.0 and 1.0. Got: 1.5")),
    Case("cross_entropy of int logits", lambda L: L.F.cross_entropy(
        L.ones(2, 3, dtype=L.int64), L.tensor([0, 1])), raises(
        NotImplementedError, r"not implemented for 'Long'")),
    Case("nll_loss, (N, C, d) input with an (N,) target", lambda L: L.F.nll_loss(
        L.ones(2, 3, 4), L.tensor([0, 1])), raises(
        RuntimeError, r"Expected target size \[2, 4\], got \[2\]")),
    Case("NLLLoss, class weights of the wrong size", lambda L: L.nn.NLLLoss(
        weight=L.ones(2))(L.ones(2, 3), L.tensor([0, 1])), raises(
        RuntimeError, r"weight tensor should be defined either for all 3 classes or no classes "
                      r"but got weight tensor of shape: \[2\]",
        ours=r"weight must have shape \(3,\) \(one per class\), got \(2,\)")),
    Case("l1_loss, unknown reduction", lambda L: L.F.l1_loss(L.ones(2), L.ones(2),
                                                             reduction="avg"), raises(
        ValueError, r"avg is not a valid value for reduction", ours=r"reduction.*'avg'")),
    Case("huber_loss, negative delta", lambda L: L.F.huber_loss(L.ones(2), L.ones(2), delta=-1.0),
         raises(RuntimeError, r"huber_loss does not support non-positive values for delta")),
    Case("bce_with_logits, pos_weight of the wrong size", lambda L: L.F.
         binary_cross_entropy_with_logits(L.ones(2, 3), L.ones(2, 3), pos_weight=L.ones(2)),
         raises(RuntimeError, r"size of tensor a \(2\) must match the size of tensor b \(3\)")),
    Case("bce, targets outside [0, 1]", lambda L: L.F.binary_cross_entropy(
        L.tensor([0.25, 0.5]), L.tensor([2.0, -1.0])), raises(
        RuntimeError, r"all elements of target should be between 0 and 1")),
    Case("margin_ranking_loss, shapes that don't broadcast", lambda L: L.F.margin_ranking_loss(
        L.ones(2), L.ones(3), L.ones(2)), raises(
        RuntimeError, r"size of tensor a \(2\) must match the size of tensor b \(3\)",
        ours=r"\(2,\).*\(3,\)")),
    # ------------------------------------------------------------ optimisers
    Case("Adam, negative lr", lambda L: L.optim.Adam([L.nn.Parameter(L.ones(1))], lr=-1.0),
         raises(ValueError, r"Invalid learning rate: -1.0")),
    Case("Adam, beta1 = 1", lambda L: L.optim.Adam([L.nn.Parameter(L.ones(1))],
                                                     betas=(1.0, 0.9)),
         raises(ValueError, r"Invalid beta parameter at index 0: 1.0")),
    Case("Adam, beta2 < 0", lambda L: L.optim.Adam([L.nn.Parameter(L.ones(1))],
                                                     betas=(0.9, -0.1)),
         raises(ValueError, r"Invalid beta parameter at index 1: -0.1")),
    Case("Adam, negative eps", lambda L: L.optim.Adam([L.nn.Parameter(L.ones(1))], eps=-1.0),
         raises(ValueError, r"Invalid epsilon value: -1.0")),
    Case("AdamW, negative weight_decay", lambda L: L.optim.AdamW(
        [L.nn.Parameter(L.ones(1))], weight_decay=-1.0),
         raises(ValueError, r"Invalid weight_decay value: -1.0")),
    Case("RMSprop, negative alpha", lambda L: L.optim.RMSprop(
        [L.nn.Parameter(L.ones(1))], alpha=-1.0),
         raises(ValueError, r"Invalid alpha value: -1.0")),
    Case("Adagrad, negative lr_decay", lambda L: L.optim.Adagrad(
        [L.nn.Parameter(L.ones(1))], lr_decay=-1.0),
         raises(ValueError, r"Invalid lr_decay value: -1.0")),
    Case("a parameter in two groups", lambda L: L.optim.SGD(
        [{"params": [p]}, {"params": [p]}] if (p := L.nn.Parameter(L.ones(1))) is not None
        else None, lr=0.1), raises(
        ValueError, r"some parameters appear in more than one parameter group")),
    Case("an int among the parameters", lambda L: L.optim.SGD([L.nn.Parameter(L.ones(1)), 3],
                                                              lr=0.1),
         raises(TypeError, r"optimizer can only optimize Tensors, but one of the params is "
                           r"(builtins\.)?int")),
    Case("optimizer state of another group count", lambda L: L.optim.SGD(
        [L.nn.Parameter(L.ones(1))], lr=0.1).load_state_dict(
        {"state": {}, "param_groups": []}), raises(
        ValueError, r"loaded state dict has a different number of parameter groups",
        ours=r"loaded state dict has 0 parameter groups, this optimizer has 1")),
    Case("SGD's default lr (0.001)", lambda L: _step(L, "SGD"), value()),
    Case("Adam step with amsgrad", lambda L: _step(L, "Adam", lr=0.1, amsgrad=True), value()),
    Case("StepLR on something that is not an optimizer", lambda L: L.optim.lr_scheduler.StepLR(
        [1, 2], 1), raises(TypeError, r"list is not an Optimizer")),
    # ------------------------------------------------------------ data
    Case("DataLoader, batch_size 0", lambda L: L.data.DataLoader(
        L.data.TensorDataset(L.ones(3)), batch_size=0), raises(
        ValueError, r"batch_size should be a positive integer value, but got batch_size=0")),
    Case("DataLoader, shuffle with a sampler", lambda L: L.data.DataLoader(
        L.data.TensorDataset(L.ones(3)), sampler=[0, 1, 2], shuffle=True), raises(
        ValueError, r"sampler option is mutually exclusive with shuffle")),
    Case("DataLoader, batch_sampler with batch_size", lambda L: L.data.DataLoader(
        L.data.TensorDataset(L.ones(3)), batch_sampler=[[0, 1], [2]], batch_size=2), raises(
        ValueError, r"batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    r"sampler, and drop_last")),
    Case("DataLoader, negative num_workers", lambda L: L.data.DataLoader(
        L.data.TensorDataset(L.ones(3)), num_workers=-1), raises(
        ValueError, r"num_workers option should be non-negative")),
    Case("TensorDataset of different lengths", lambda L: L.data.TensorDataset(
        L.ones(3), L.ones(4)), raises(AssertionError, r"Size mismatch between tensors")),
    Case("TensorDataset index past the end", lambda L: L.data.TensorDataset(L.ones(3))[3],
         raises(IndexError, r"index 3 is out of bounds for dimension 0 with size 3")),
    Case("DataLoader, batch_size=None yields samples", lambda L: _batches(
        L, lambda L: L.data.TensorDataset(L.arange(3.0)), batch_size=None), value()),
    Case("DataLoader, drop_last", lambda L: _batches(
        L, lambda L: L.data.TensorDataset(L.arange(5.0)), batch_size=2, drop_last=True),
         value()),
    Case("DataLoader over a list of pairs", lambda L: _batches(
        L, lambda L: [(float(i), i) for i in range(3)], batch_size=2), value()),
    # ------------------------------------------------------------ state_dict
    Case("load_state_dict, unexpected key", lambda L: _load(
        L, lambda L: L.nn.Linear(1, 1), lambda L: {"weight": L.ones(1, 1), "bias": L.ones(1),
                                                   "scale": L.ones(1)}), raises(
        RuntimeError, r"Unexpected key\(s\) in state_dict: [\"']scale[\"']")),
    Case("load_state_dict, prefix of another model", lambda L: _load(
        L, lambda L: L.nn.Sequential(L.nn.Linear(1, 1)),
        lambda L: {"fc.weight": L.ones(1, 1), "fc.bias": L.ones(1)}), raises(
        RuntimeError,
        r"Missing key\(s\) in state_dict: [\"']0\.weight[\"'].*, [\"']0\.bias[\"']")),
    Case("load_state_dict, strict=False reports keys", lambda L: _load(
        L, lambda L: L.nn.Linear(1, 1), lambda L: {"weight": L.ones(1, 1), "extra": L.ones(1)},
        strict=False), value()),
    Case("load_state_dict casts an int64 value", _load_ints, value()),
    Case("load_state_dict of None", lambda L: L.nn.Linear(1, 1).load_state_dict(None), raises(
        TypeError, r"Expected state_dict to be dict-like, got <class 'NoneType'>",
        ours=r"expected a dict-like state_dict, got NoneType")),
    Case("load_state_dict, Parameter of another shape", lambda L: _load(
        L, lambda L: L.nn.Linear(2, 1), lambda L: {"weight": L.ones(1, 3), "bias": L.ones(1)}),
         raises(RuntimeError, r"size mismatch for weight: copying a param with shape "
                              r"torch.Size\(\[1, 3\]\) from checkpoint",
                ours=r"size mismatch for 'weight': copying a param with shape \(1, 3\)")),
    # ------------------------------------------------------------ backward
    Case("backward twice through exp", lambda L: _backward_twice(L, "exp"), raises(
        RuntimeError, TWICE)),
    Case("backward twice through sigmoid", lambda L: _backward_twice(L, "sigmoid"), raises(
        RuntimeError, TWICE)),
    Case("backward of a vector without gradient", lambda L: (leaf(L, 1.0, 2.0) * 2).backward(),
         raises(RuntimeError, r"grad can be implicitly created only for scalar outputs")),
    Case("backward of a constant", lambda L: L.ones(2).sum().backward(), raises(
        RuntimeError, NO_GRAD_FN)),
    Case("backward with a gradient of the wrong shape", lambda L: (leaf(L, 1.0, 2.0) * 2)
         .backward(L.ones(3)), raises(
        RuntimeError, r"Mismatch in shape: grad_output\[0\] has a shape of .*\[3\].* and "
                      r"output\[0\] has a shape of .*\[2\]",
        ours=r"(?s)\(3,\).*\(2,\)|\(2,\).*\(3,\)")),
    Case("backward of an int tensor", lambda L: L.arange(3).sum().backward(), raises(
        RuntimeError, NO_GRAD_FN)),
    Case("hook on a tensor that doesn't require grad", lambda L: L.ones(2).register_hook(
        lambda g: g), raises(
        RuntimeError, r"cannot register a hook on a tensor that doesn't require grad")),
    Case("requires_grad_(False) on a non-leaf", lambda L: (leaf(L, 1.0) * 2).requires_grad_(
        False), raises(RuntimeError, r"you can only change requires_grad flags of leaf "
                                     r"variables",
                ours=r"requires_grad_\(False\) is only allowed on leaf tensors; use detach\(\)")),
    Case("in-place on a view of a leaf", lambda L: leaf(L, 1.0, 2.0)[0:1].mul_(2), raises(
        RuntimeError, r"a view of a leaf Variable that requires grad is being used in an "
                      r"in-place operation")),
    Case("in-place on a leaf under no_grad is allowed", _inplace_on_leaf_under_no_grad,
         value()),
    Case("backward inside no_grad still runs", _backward_under_no_grad, value()),
    Case("sigmoid output changed in place", lambda L: _changed_then_backward(
        L, lambda y: y.mul_(2)), raises(RuntimeError, STALE)),
    Case("sigmoid output changed through detach", lambda L: _changed_then_backward(
        L, lambda y: y.detach().zero_()), raises(RuntimeError, STALE)),
    Case(".grad of a non-leaf is None", lambda L: (leaf(L, 1.0) * 2).grad, value()),
    Case("x.grad after backward of a tensor used twice", lambda L: (lambda x: (
        (x * x + x).sum().backward(), x.grad)[1])(leaf(L, 1.0, -3.0)), value()),
    # ------------------------------------------------------------ autograd.grad
    Case("autograd.grad twice", _grad_twice, raises(RuntimeError, TWICE)),
    Case("autograd.grad of a vector without grad_outputs", lambda L:
        (lambda x: L.autograd.grad(x * 2, [x]))(leaf(L, 1.0, 2.0)), raises(
        RuntimeError, r"grad can be implicitly created only for scalar outputs")),
    Case("autograd.grad, grad_outputs of the wrong shape", lambda L: (lambda x: L.autograd.grad(
        x * 2, [x], grad_outputs=[L.ones(3)]))(leaf(L, 1.0, 2.0)), raises(
        RuntimeError, r"Mismatch in shape: grad_output\[0\] has a shape of .*\[3\]\)? and "
                      r"output\[0\] has a shape of .*\[2\]", ours=r"(?s)\(3,\).*\(2,\)")),
    Case("autograd.grad of a constant output", lambda L: L.autograd.grad(
        L.ones(2).sum(), [leaf(L, 1.0)]), raises(RuntimeError, NO_GRAD_FN)),
    Case("autograd.grad, unused input with allow_unused", lambda L: (lambda x, z: L.autograd.grad(
        (x * 2).sum(), [x, z], allow_unused=True))(leaf(L, 1.0), leaf(L, 2.0)), value()),
    Case("grad of grad without create_graph", _second_order_without_create_graph, raises(
        RuntimeError, NO_GRAD_FN)),
    Case("grad of grad with create_graph", _second_order, value()),
    Case("backward of a result built under no_grad", lambda L: _under_no_grad(
        L, lambda: (leaf(L, 1.0) * 2).sum()).backward(), raises(RuntimeError, NO_GRAD_FN)),
    # ------------------------------------------------------------ save / load
    Case("save into a missing folder", lambda L: _save_load(
        L, lambda d: os.path.join(d, "missing", "m.pt")), raises(
        RuntimeError, r"Parent directory .*missing does not exist",
        ours=r"missing")),
    Case("load of a missing file", lambda L: L.load(os.path.join(
        tempfile.gettempdir(), "no-such-checkpoint.pt")), raises(
        FileNotFoundError, r"No such file or directory: .*no-such-checkpoint.pt",
        ours=r"no such file: .*no-such-checkpoint.pt")),
    Case("save and load round trip", lambda L: _save_load(L, lambda d: os.path.join(d, "m.pt")),
         value()),
]


@parametrize(CASES)
def test_misuse_matches_torch(case):
    check(case)
