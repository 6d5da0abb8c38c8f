"""Matrix products."""
from .. import ops
from ..errors import ShapeError
from ..tensor import Tensor, tensor_method

__all__ = ["matmul"]


@tensor_method
def matmul(input, other) -> Tensor:
    """Matrix product with torch's rules: 1-D operands are treated as a row (left) or a column
    (right) vector and that dimension is removed from the result; batch dims broadcast. One
    graph node (``matmul``) whatever the operands' dims."""
    a, b = input, other if isinstance(other, Tensor) else Tensor(other)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                         f"{a.shape} and {b.shape}")
    return ops.MatMul.apply(a, b)
