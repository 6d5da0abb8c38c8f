"""``ParameterList`` and ``ParameterDict`` (re-exported by :mod:`.container`, torch's home of
them), as torch's: each entry is set as an attribute named by its index or key, so a Tensor
(made a Parameter) is registered and saved under that name (``"0"``, ``"scale"``) and any other
object is kept as a plain attribute (listed, never trained or saved)."""
import operator
from collections import OrderedDict
from collections.abc import Iterable, Mapping

from ..tensor import Tensor
from .module import Module, Parameter


def update_pairs(pairs, owner):
    """The (key, value) pairs of a sequence given to ``owner``'s ``update`` (ModuleDict,
    ParameterDict), with torch's errors for an element that is not a pair."""
    items = []
    for j, pair in enumerate(pairs):
        if not isinstance(pair, Iterable):
            raise TypeError(f"{owner} update sequence element #{j} should be Iterable; "
                            f"is{type(pair).__name__}")
        if len(pair) != 2:
            raise ValueError(f"{owner} update sequence element #{j} has length {len(pair)}; "
                             f"2 is required")
        items.append(tuple(pair))
    return items

__all__ = ["ParameterList", "ParameterDict"]


def _as_parameter(value):
    """A plain Tensor becomes a Parameter (sharing its memory); anything else is kept."""
    return Parameter(value) if isinstance(value, Tensor) and not isinstance(value, Parameter) \
        else value


def _lines(items, kind):
    """torch's repr lines: ``  (k): Parameter containing: [<kind> of size 2x3]`` (the list
    names the dtype, the dict the tensor type), ``  (k): Object of type: int`` otherwise."""
    lines = []
    for k, p in items:
        if isinstance(p, Tensor):
            what = "Parameter" if isinstance(p, Parameter) else "Tensor"
            lines.append(f"  ({k}): {what} containing: [{kind(p)} of size "
                         f"{'x'.join(str(n) for n in p.shape)}]")
        else:
            lines.append(f"  ({k}): Object of type: {type(p).__name__}")
    return "\n".join(lines)


class ParameterList(Module):
    """A list of Parameters, registered as "0", "1", ... (plain Tensors become Parameters;
    other objects are kept as they are, as torch)."""

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _abs_index(self, index):
        index = operator.index(index)
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} is out of range")
        return str(index + len(self) if index < 0 else index)

    def __getitem__(self, index):
        if isinstance(index, slice):
            out = type(self)()
            for i in range(*index.indices(len(self))):
                out.append(self[i])
            return out
        return getattr(self, self._abs_index(index))

    def __setitem__(self, index, value):
        setattr(self, self._abs_index(index), _as_parameter(value))

    def __len__(self):
        return self._size

    def __iter__(self):
        return iter(self[i] for i in range(len(self)))

    def __iadd__(self, values):
        return self.extend(values)

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value):
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values):
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError(f"ParameterList.extend should be called with an iterable, but got "
                            f"{type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def extra_repr(self):
        return _lines(enumerate(self), lambda p: p.dtype)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """An ordered dict of Parameters, registered under their (string) keys (plain Tensors
    become Parameters; other objects are kept as they are, as torch). As torch's, a missing
    key raises AttributeError (the entries are attributes)."""

    def __init__(self, parameters=None):
        super().__init__()
        self._keys = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _key_to_attr(key):
        if not isinstance(key, str):
            raise TypeError(f"Index given to ParameterDict cannot be used as a key as it is not "
                            f"a string (type is '{type(key).__name__}'). Open an issue on "
                            f"github if you need non-string keys.")
        return key

    def __getitem__(self, key):
        return getattr(self, self._key_to_attr(key))

    def __setitem__(self, key, value):
        self._keys[key] = None
        setattr(self, self._key_to_attr(key), _as_parameter(value))

    def __delitem__(self, key):
        del self._keys[key]
        delattr(self, self._key_to_attr(key))

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(self._keys)

    def __contains__(self, key):
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def copy(self):
        """A new ParameterDict holding the same Parameters (not copies), as torch."""
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key, default=None):
        """``self[key]``, set to ``default`` first if absent (as dict's)."""
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self):
        for key in list(self._keys):
            del self[key]

    def pop(self, key):
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        """Remove and return the last ``(key, value)`` pair."""
        key = next(reversed(self._keys))
        value = self[key]
        del self[key]
        return key, value

    def get(self, key, default=None):
        return self[key] if key in self else default

    def fromkeys(self, keys, default=None):
        return ParameterDict((k, default) for k in keys)

    def update(self, parameters):
        """Add or overwrite entries. As torch: an ``OrderedDict``, a ParameterDict or a
        sequence of pairs keeps its order; any other mapping (a plain dict) is taken in
        sorted key order — so ``parameters()`` and ``state_dict()`` come in torch's order."""
        if not isinstance(parameters, Iterable):
            raise TypeError(f"ParametersDict.update should be called with an iterable of "
                            f"key/value pairs, but got {type(parameters).__name__}")
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            items = list(parameters.items())
        elif isinstance(parameters, Mapping):
            items = sorted(parameters.items())
        else:
            items = update_pairs(parameters, "ParameterDict")
        for key, value in items:
            self[key] = value

    def extra_repr(self):
        return _lines(self.items(), lambda p: p.type())

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterDict should not be called.")

    def __or__(self, other):
        copy = self.copy()
        copy.update(other)
        return copy

    def __ror__(self, other):
        copy = other.copy()
        copy.update(self)
        return copy

    def __ior__(self, other):
        self.update(other)
        return self
