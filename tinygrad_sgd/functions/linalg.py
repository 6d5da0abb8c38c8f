"""Matrix products."""
from .. import ops
from ..errors import ShapeError
from ..tensor import Tensor, tensor_method

__all__ = ["matmul"]


@tensor_method
def matmul(input, other) -> Tensor:
    """Matrix product with torch's rules: 1-D operands are treated as a row (left) or a column
    (right) vector and that dimension is removed from the result; batch dims broadcast."""
    a, b = input, other if isinstance(other, Tensor) else Tensor(other)
    if a.array.ndim >= 2 and b.array.ndim >= 2:
        return ops.MatMul.apply(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                         f"{a.shape} and {b.shape}")
    a2 = a.unsqueeze(0) if a.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise ShapeError(f"matmul: shapes {a.shape} and {b.shape} don't align "
                         f"({a2.shape[-1]} != {b2.shape[-2]})")
    out = ops.MatMul.apply(a2, b2)
    if b.ndim == 1:
        out = out.squeeze(-1)
    if a.ndim == 1:
        out = out.squeeze(-2) if b.ndim > 1 else out.squeeze(-1)
    return out
