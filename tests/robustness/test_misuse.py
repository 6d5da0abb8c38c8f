"""A catalogue of misuse: each mistake raises a specific exception (its exact type is checked)
with a message that says what is wrong in the user's terms (checked with a regex).

Mistakes already tested elsewhere are listed in the comment of their section, not repeated.
"""
import re

import numpy as np

from tinygrad_sgd.errors import DTypeError, ShapeError
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import Tensor, autograd, nn, no_grad, optim, tensor
from tinygrad_sgd.nn import functional as F


def param(*shape):
    return nn.Parameter(np.ones(shape, np.float32))


def with_grad(p, grad):
    p.grad = grad
    return p


CATALOGUE = [
    # ---------------------------------------------------------------- binary ops and broadcasting
    # elsewhere: + - * / ** of mismatched shapes (tests/test_ops.py::
    # test_broadcast_mismatch_names_both_shapes), where and comparisons (…::
    # test_where_and_comparison_broadcast_mismatch_name_shapes)
    ("ndarray + tensor, mismatched", lambda: np.ones((4, 1, 5)) + tg.ones(2, 3),
     ValueError, r"add: shapes \(4, 1, 5\) and \(2, 3\) cannot be broadcast together"),
    # (as torch's operators, a list is not an operand: Python's TypeError)
    ("tensor + list", lambda: tg.ones(2) + [1.0, 2.0, 3.0],
     TypeError, r"unsupported operand type\(s\) for \+: 'Tensor' and 'list'"),
    ("list - tensor", lambda: [1.0, 2.0, 3.0] - tg.ones(2),
     TypeError, r"unsupported operand type\(s\) for -: 'list' and 'Tensor'"),
    ("tensor * complex", lambda: tg.ones(2) * 1j,
     TypeError, r"complex numbers are not supported \(got 1j\)"),
    ("tensor + str", lambda: tg.ones(2) + "a", TypeError,
     r"unsupported operand type\(s\) for \+: 'Tensor' and 'str'"),
    ("tensor + None", lambda: tg.ones(2) + None, TypeError,
     r"unsupported operand type\(s\) for \+: 'Tensor' and 'NoneType'"),
    ("add_ of a bigger shape", lambda: tg.ones(3).add_(tg.ones(2, 3)),
     RuntimeError, r"add_: an operand of shape \(2, 3\) does not fit into a tensor of shape "
                   r"\(3,\)"),
    ("mul_ of a mismatched shape", lambda: tg.ones(3).mul_(np.ones(2)),
     RuntimeError, r"mul_: an operand of shape \(2,\) does not fit"),
    # ---------------------------------------------------------------- matmul, linear
    # elsewhere: tests/test_ops.py::test_matmul_shape_error_message (2-D, 1-D, batch, 0-d),
    # tests/test_nn.py::test_linear_errors_name_the_shapes
    ("3-D @ 2-D, inner sizes differ", lambda: tg.ones(2, 3, 4) @ tg.ones(3, 4),
     ValueError, r"matmul: shapes \(2, 3, 4\) and \(3, 4\) don't align \(4 != 3\)"),
    ("Linear on integer input", lambda: nn.Linear(3, 2)(tg.ones(2, 3, dtype=np.int64)),
     RuntimeError, r"mat1 and mat2 must have the same dtype, but got Long and Float"),
    # ---------------------------------------------------------------- conv2d
    # elsewhere: tests/test_conv.py::test_bad_arguments_raise_clear_errors (channels, kernel
    # larger than the padded input, weight not 4-D, 2-D input, bias shape, stride 0)
    ("Conv2d module, wrong channel count", lambda: nn.Conv2d(3, 4, 3)(tg.ones(1, 1, 8, 8)),
     ValueError, r"conv2d: input has 1 channels \(shape \(1, 1, 8, 8\)\) but weight of shape "
                 r"\(4, 3, 3, 3\) expects 3"),
    ("conv2d, dilated kernel too big",
     lambda: F.conv2d(tg.ones(1, 1, 5, 5), tg.ones(1, 1, 3, 3), dilation=3),
     ValueError, r"kernel \(3, 3\) \(dilation \(3, 3\)\) is larger than the padded input "
                 r"\(5, 5\)"),
    ("conv2d, negative padding", lambda: F.conv2d(tg.ones(1, 1, 5, 5), tg.ones(1, 1, 3, 3),
                                                  padding=-1),
     ValueError, r"padding >= 0.*padding \(-1, -1\)"),
    ("conv2d, 5-D input", lambda: F.conv2d(tg.ones(1, 1, 1, 4, 4), tg.ones(1, 1, 3, 3)),
     ValueError, r"conv2d: expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got shape "
                 r"\(1, 1, 1, 4, 4\)"),
    ("conv2d, integer input", lambda: F.conv2d(tg.ones(1, 1, 4, 4, dtype=np.int64),
                                               tg.ones(1, 1, 3, 3)),
     RuntimeError, r"expected scalar type Long but found Float"),          # (torch's words)
    ("conv2d, integer weight", lambda: F.conv2d(tg.ones(1, 1, 4, 4),
                                                tg.ones(1, 1, 3, 3, dtype=np.int64)),
     RuntimeError, r"expected scalar type Float but found Long"),   # (torch: a one-sample
    # 3x3 convolution is its native kernel's, not oneDNN's, which words it another way)
    ("conv2d, ndarray input", lambda: F.conv2d(np.ones((1, 1, 4, 4)), tg.ones(1, 1, 3, 3)),
     TypeError, r"conv2d: input must be a Tensor, got ndarray"),
    ("conv2d, ndarray weight", lambda: F.conv2d(tg.ones(1, 1, 4, 4), np.ones((1, 1, 3, 3))),
     TypeError, r"conv2d: weight must be a Tensor, got ndarray"),
    # ---------------------------------------------------------------- pooling
    # elsewhere: tests/test_conv.py::test_bad_arguments_raise_clear_errors (padding over half
    # the kernel, max pool kernel larger than the input, 2-D input)
    ("avg_pool2d, kernel larger than input", lambda: F.avg_pool2d(tg.ones(1, 1, 2, 2), 3),
     ValueError, r"Given input size: \(1x2x2\)\. Calculated output size: \(1x0x0\)\. "
                 r"Output size is too small"),
    ("max_pool2d, stride 0", lambda: F.max_pool2d(tg.ones(1, 1, 4, 4), 2, stride=0),
     ValueError, r"stride should not be zero"),
    ("max_pool2d, kernel 0", lambda: F.max_pool2d(tg.ones(1, 1, 4, 4), 0),
     ValueError, r"stride should not be zero"),      # (torch's: the stride is the kernel)
    ("max_pool2d, float kernel", lambda: F.max_pool2d(tg.ones(1, 1, 4, 4), 2.0),
     TypeError, r"argument 'kernel_size' .*must be tuple of ints"),
    # ---------------------------------------------------------------- losses
    # elsewhere: tests/test_losses.py::test_nll_errors (targets out of range, float targets,
    # wrong target shape, class weights, reduction, scalar input), …::
    # test_binary_cross_entropy_errors (shape, probabilities outside [0, 1]),
    # …::test_mse_loss_errors_and_dtype, …::test_hinge_losses_values_and_errors
    ("cross_entropy, bool target", lambda: F.cross_entropy(tg.ones(4, 3),
                                                           tensor(np.ones(4, bool))),
     TypeError, r"cross_entropy: target must hold integer class indices .*got dtype bool"),
    ("cross_entropy, (N, 1) target", lambda: F.cross_entropy(tg.ones(4, 3),
                                                             tg.zeros(4, 1, dtype=np.int64)),
     ValueError, r"0D or 1D target tensor expected, multi-target not supported"),
    ("cross_entropy, float target of another shape", lambda: F.cross_entropy(
        tg.ones(4, 3), tg.ones(4)), DTypeError, r"expected target dtype to be Long"),
    ("nll_loss, string targets", lambda: F.nll_loss(tg.ones(4, 3), ["a"] * 4),
     TypeError, r"nll_loss: target must hold integer class indices .*got dtype <U1"),
    ("binary_cross_entropy, NaN input",
     lambda: F.binary_cross_entropy(Tensor([np.nan, 0.5]), [1.0, 0.0]),
     ValueError, r"all elements of input should be between 0 and 1 \(got NaN values\)"),
    ("binary_cross_entropy, non-numeric target",
     lambda: F.binary_cross_entropy(Tensor([0.5]), ["a"]),
     TypeError, r"binary_cross_entropy: target must be numeric"),
    ("bce_with_logits, (N, 1) vs (N,)",
     lambda: F.binary_cross_entropy_with_logits(tg.ones(4, 1), tg.ones(4)),
     ValueError, r"target shape \(4,\) differs from input shape \(4, 1\)"),
    ("CrossEntropyLoss(reduction='avg')",       # (refused at the call, as torch's)
     lambda: nn.CrossEntropyLoss(reduction="avg")(tg.ones(2, 3), tg.tensor([0, 1])),
     ValueError, r"avg is not a valid value for reduction"),
    # ---------------------------------------------------------------- view / reshape, sizes
    # elsewhere: tests/test_ops.py::test_shape_op_errors_speak_plainly (reshape to a wrong
    # element count, expand, permute, cat, stack, dims out of range)
    ("view of incompatible shape", lambda: tg.zeros(2, 3).view(4, 2),
     ValueError, r"view/reshape: shape \(4, 2\) is invalid for a tensor of shape \(2, 3\) "
                 r"\(shape '\[4, 2\]' is invalid for input of size 6\)"),
    ("view with two -1", lambda: tg.zeros(2, 3).view(-1, -1),
     ValueError, r"view/reshape: only one dimension can be inferred"),
    ("view with -2", lambda: tg.zeros(2, 3).view(-2, 3),
     ValueError, r"view/reshape: invalid shape dimension -2 at index 0 of shape \[-2, 3\]"),
    ("view with a float size", lambda: tg.zeros(2, 3).view(1.5, 4),
     TypeError, r"sizes and dims must be integers, got 1.5 \(float\)"),
    ("zeros(2.5)", lambda: tg.zeros(2.5), TypeError, r"sizes and dims must be integers, got 2.5"),
    ("randn('a')", lambda: tg.randn("a"), TypeError, r"sizes and dims must be integers, got 'a'"),
    ("sizes from a float tensor", lambda: tg.zeros(2, tg.tensor(3.0)),
     TypeError, r"sizes and dims must be integers, got tensor\(3\.\) \(Tensor\)"),
    # ---------------------------------------------------------------- data
    # elsewhere: tests/test_tensor.py::test_non_numeric_data_refused (strings, objects, None,
    # dicts, complex numbers and arrays), …::test_ragged_lists_refused, …::test_explicit_dtype
    ("datetime array", lambda: tensor(np.array(["2020-01-01"], dtype="datetime64[D]")),
     TypeError, r"non-numeric \(datetime64\[D\]\) data"),
    ("bytes", lambda: tensor(b"abc"), TypeError, r"non-numeric \(\|S3\) data"),
    ("a set", lambda: tensor({1.0, 2.0}), TypeError, r"non-numeric \(object\) data.*got set"),
    ("object array of numbers", lambda: tensor(np.array([1, 2], dtype=object)),
     TypeError, r"non-numeric \(object\) data"),
    ("ragged, through tg.tensor", lambda: tg.tensor([[1.0, 2.0], [3.0]]),
     ValueError, r"rectangular \(non-ragged\)"),
    ("complex Parameter", lambda: nn.Parameter(np.array([1j])),
     TypeError, r"Tensor: complex data is not supported"),
    # ---------------------------------------------------------------- backward
    # elsewhere: tests/test_autograd.py — non-scalar without gradient=
    # (test_backward_on_non_scalar_needs_a_gradient), a second backward
    # (test_second_backward_through_freed_graph_raises), wrong gradient shape and no graph
    # (test_backward_gradient_shape_mismatch_and_no_grad_errors), unused inputs of
    # autograd.grad, hooks (test_hook_errors), requires_grad on integers
    ("backward of a result computed under no_grad",
     lambda: _under_no_grad().backward(),
     RuntimeError, r"does not require grad and does not have a grad_fn.*inside no_grad"),
    ("autograd.grad of a non-Tensor", lambda: autograd.grad([1.0], [tg.ones(1,
                                                                              requires_grad=True)]),
     TypeError, r"outputs\[0\] must be a Tensor, got float"),
    ("autograd.grad w.r.t. a constant", lambda: autograd.grad(
        (tg.ones(2, requires_grad=True) * 2).sum(), [tg.ones(2)]),
     RuntimeError, r"inputs\[0\] does not require grad"),
    ("in-place on a leaf that requires grad", lambda: param(2).add_(1.0),
     RuntimeError, r"a leaf Variable that requires grad is being used in an in-place operation"),
    # ---------------------------------------------------------------- optimizer
    # elsewhere: tests/test_optim.py::test_constructor_validation_errors (no parameters,
    # non-Tensors, a single Tensor, negative lr/momentum/weight decay, nesterov, non-number lr,
    # non-leaf, duplicates, sets), …::test_load_state_dict_errors
    ("lr = nan", lambda: optim.SGD([param(2)], lr=float("nan")),
     ValueError, r"Invalid lr: nan"),
    ("momentum = nan", lambda: optim.SGD([param(2)], lr=0.1, momentum=float("nan")),
     ValueError, r"Invalid momentum: nan"),
    ("weight_decay = nan", lambda: optim.SGD([param(2)], lr=0.1, weight_decay=float("nan")),
     ValueError, r"Invalid weight_decay: nan"),
    ("a parameter generator used twice", lambda: _generator_used_twice(),
     ValueError, r"optimizer got an empty parameter list"),
    ("a hand-set .grad of another shape", lambda: optim.SGD(
        [with_grad(param(2, 3), tensor(np.ones(3, np.float32)))], lr=0.1).step(),
     RuntimeError, r"attempting to assign a gradient of size '\[3\]' to a tensor of size "
                   r"'\[2, 3\]'"),
    ("a hand-set .grad that is an ndarray", lambda: optim.SGD(
        [with_grad(param(2), np.ones(2))], lr=0.1).step(),
     TypeError, r"assigned grad expected to be a Tensor or None but got grad of type ndarray"),
    ("p.grad = 0 (micrograd's zero_grad)", lambda: setattr(param(2), "grad", 0),
     TypeError, r"assigned grad expected to be a Tensor or None but got grad of type int"),
    ("a hand-set .grad of another dtype", lambda: setattr(
        param(2), "grad", tensor(np.zeros(2, np.float64))),
     RuntimeError, r"attempting to assign a gradient with dtype 'tinygrad_sgd.float64' to a tensor with "
                   r"dtype 'tinygrad_sgd.float32'"),
    ("p.data = a number", lambda: setattr(param(2), "data", 3),
     TypeError, r"Variable data has to be a tensor, but got int"),
    ("an int tensor += a float", lambda: tg.tensor([1, 2]).__iadd__(0.5),
     RuntimeError, r"result type Float can't be cast to the desired output type Long"),
    # ---------------------------------------------------------------- load_state_dict
    # elsewhere: tests/test_nn.py::test_load_state_dict_reports_every_problem_at_once (missing,
    # unexpected, size mismatch, non-dict, non-numeric), tests/test_optim.py::
    # test_load_state_dict_errors
    ("a transposed Linear weight", lambda: nn.Linear(3, 2).load_state_dict(
        {"weight": np.zeros((3, 2)), "bias": np.zeros(2)}),
     RuntimeError, r"size mismatch for 'weight': copying a param with shape \(3, 2\) from the "
                   r"state_dict, the shape in the current model is \(2, 3\)"),
    ("complex values", lambda: nn.Linear(1, 1).load_state_dict(
        {"weight": np.array([[1j]]), "bias": [0.5]}),
     RuntimeError, r"value for 'weight' has non-numeric dtype complex128"),
    # ---------------------------------------------------------------- parameters
    # elsewhere: tests/test_nn.py::test_setattr_rules (assigning a Parameter or an array of
    # another shape, or a plain Tensor, to a parameter attribute)
    ("copy_ of another shape into a parameter", lambda: _copy_into_parameter(),
     RuntimeError, r"copy_: an operand of shape \(3, 2\) does not fit into a tensor of shape "
                   r"\(2, 3\)"),
    ("integer Parameter", lambda: nn.Parameter(np.arange(3)),
     RuntimeError, r"[Oo]nly Tensors of floating point (and complex )?dtype can require "
                   r"gradients"),
    ("string Parameter", lambda: nn.Parameter("abc"), TypeError, r"non-numeric \(<U3\) data"),
]


def _under_no_grad():
    x = tg.ones(2, requires_grad=True)
    with no_grad():
        return (x * 2).sum()


def _generator_used_twice():
    params = nn.Linear(2, 2).parameters()
    optim.SGD(params, lr=0.1)
    return optim.SGD(params, lr=0.1)


def _copy_into_parameter():
    lin = nn.Linear(3, 2)
    with no_grad():
        lin.weight.copy_(np.zeros((3, 2)))


@pytest.mark.parametrize("call, exc, pattern", [c[1:] for c in CATALOGUE],
                         ids=[c[0] for c in CATALOGUE])
def test_misuse_raises_a_specific_error(call, exc, pattern):
    with pytest.raises(Exception) as info:
        call()
    # exactly the class listed, or ShapeError (both ValueError and RuntimeError) for a
    # shape mismatch listed as either
    assert info.type is exc or (info.type is ShapeError and exc in (ValueError, RuntimeError)) \
        or (info.type is DTypeError and exc in (TypeError, RuntimeError)), \
        f"raised {info.type.__name__}: {info.value}"
    assert re.search(pattern, str(info.value)), str(info.value)


def test_catalogue_ids_are_unique():
    names = [c[0] for c in CATALOGUE]
    assert len(names) == len(set(names))
