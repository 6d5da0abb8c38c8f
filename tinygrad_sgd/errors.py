"""Exception classes. Where torch raises ``RuntimeError`` for a mistake Python code would call a
``ValueError`` (shapes that don't match), we raise :class:`ShapeError`, which is both: a torch
user's ``except RuntimeError`` and a Python user's ``except ValueError`` both catch it."""

__all__ = ["ShapeError", "DTypeError"]


class ShapeError(ValueError, RuntimeError):
    """Shapes that do not fit together (broadcasting, matmul, view, conv, ...)."""


class DTypeError(TypeError, RuntimeError):
    """A tensor of the wrong dtype (torch: RuntimeError; Python: TypeError)."""
