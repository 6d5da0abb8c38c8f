"""The house rules that can be checked by a program: every op states its math as attributes
(the drawings and the explainer read them), op classes never share a name with an nn layer,
and no module grows past ~450 lines without a comment saying why."""
import inspect
import pathlib

import pytest

import tinygrad_sgd  # noqa: F401
from tinygrad_sgd import nn, ops
from tinygrad_sgd.autograd import Function

PACKAGE = pathlib.Path(tinygrad_sgd.__file__).parent
MAX_LINES = 450
LONG_FILE_NOTE = "house: long file"   # a comment with this phrase says why a file is longer


def _op_classes():
    seen = {}
    stack = list(Function.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("tinygrad_sgd.") and "forward" in cls.__dict__:
            seen[cls.__qualname__ + "@" + cls.__module__] = cls
    return sorted(seen.values(), key=lambda c: c.__name__)


OPS = _op_classes()


def test_there_are_ops_to_check():
    assert len(OPS) >= 40


@pytest.mark.parametrize("op", OPS, ids=lambda c: c.__name__)
def test_every_op_states_its_rule_and_one_derivative_per_input(op):
    assert op.rule, f"{op.__name__} has no rule"
    if op.differentiable:
        assert op.derivatives, f"{op.__name__} has no derivatives"
        assert len(op.derivatives) == len(op.inputs), \
            f"{op.__name__}: inputs {op.inputs} but derivatives {op.derivatives}"
        tensors_in = len(inspect.signature(op.forward).parameters) - 1   # without self
        assert len(op.inputs) <= tensors_in or op.__name__ == "Cat"


@pytest.mark.parametrize("op", OPS, ids=lambda c: c.__name__)
def test_no_op_class_shares_its_name_with_an_nn_layer(op):
    assert not hasattr(nn, op.__name__) or not isinstance(getattr(nn, op.__name__), type), \
        f"ops.{op.__name__} and nn.{op.__name__} mean two things"


def test_torch_style_grad_fn_names_are_kept():
    names = {cls.__name__: cls.name() for cls in OPS}
    for op, expected in [("ReLUOp", "ReLUBackward"), ("SigmoidOp", "SigmoidBackward"),
                         ("TanhOp", "TanhBackward"), ("Conv2dOp", "Conv2dBackward"),
                         ("MaxPool2dOp", "MaxPool2dBackward"), ("LinearOp", "LinearBackward"),
                         ("LogSoftmaxOp", "LogSoftmaxBackward"), ("Mul", "MulBackward")]:
        assert names[op] == expected
    assert hasattr(ops, "Conv2dOp") and not hasattr(ops, "Conv2d")


def test_no_module_is_longer_than_the_house_allows_without_saying_why():
    long = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        if text.count("\n") > MAX_LINES and LONG_FILE_NOTE not in text:
            long.append(f"{path.relative_to(PACKAGE)}: {text.count(chr(10))} lines")
    assert not long, "files over ~450 lines with no note why: " + ", ".join(long)
