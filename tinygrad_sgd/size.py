"""``Tensor.shape`` as torch gives it: a tuple that prints as ``tinygrad_sgd.Size([2, 3])``."""

__all__ = ["Size"]


class Size(tuple):
    """A tuple of dimension sizes; ``numel()`` is their product."""
    __slots__ = ()

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        from .printing import OPTIONS
        return f"{OPTIONS.namespace}.Size({list(self)})"

    def __format__(self, spec):
        """``print(x.shape)`` and ``repr`` give torch's ``tinygrad_sgd.Size([2, 3])``; inside
        f-strings (the library's error messages) a shape reads as the tuple it is, ``(2, 3)``."""
        return tuple.__repr__(self) if not spec else format(tuple(self), spec)

    def __getitem__(self, index):
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out
