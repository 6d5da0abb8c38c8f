"""torch's deprecated method overloads with the number first, which old tutorials and
optimizers still use: ``p.data.add_(-lr, d_p)`` is ``p.data.add_(d_p, alpha=-lr)``,
``exp_avg_sq.addcmul_(1 - beta2, grad, grad)`` is ``addcmul_(grad, grad, value=1 - beta2)``.

As torch, each overload computes the new form's result and warns (a UserWarning) the first
time it is used in the process — once per method, whatever the call site."""
import functools
import numbers
import warnings

from ..errors import warn_level
from ..tensor import Tensor

__all__ = ["NUMBER_FIRST"]

# method -> (the number's name, the operands' old and new spellings)
NUMBER_FIRST = {
    "add": ("alpha", "Tensor other"), "sub": ("alpha", "Tensor other"),
    "addcmul": ("value", "Tensor tensor1, Tensor tensor2"),
    "addcdiv": ("value", "Tensor tensor1, Tensor tensor2"),
}
_warned = set()


def _warn_once(name, number, operands):
    if name in _warned:
        return
    _warned.add(name)
    warnings.warn(f"This overload of {name} is deprecated:\n\t{name}(Number {number}, "
                  f"{operands})\nConsider using one of the following signatures instead:\n"
                  f"\t{name}({operands}, *, Number {number} = 1)",
                  UserWarning, stacklevel=warn_level(3))


def _number_first(name, method, number, operands):
    n = operands.count("Tensor")

    @functools.wraps(method)
    def overload(self, *args, **kwargs):
        if len(args) == n + 1 and isinstance(args[0], numbers.Number) and \
                not isinstance(args[0], bool) and number not in kwargs and \
                all(isinstance(a, (Tensor, numbers.Number)) for a in args[1:]):
            _warn_once(name, number, operands)
            return method(self, *args[1:], **{number: args[0]}, **kwargs)
        return method(self, *args, **kwargs)
    return overload


for _name, (_number, _operands) in NUMBER_FIRST.items():
    for _method in (_name, _name + "_"):
        setattr(Tensor, _method, _number_first(_method, getattr(Tensor, _method), _number,
                                               _operands))
