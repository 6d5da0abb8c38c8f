"""Matrix products."""
from .. import ops
from ..errors import DTypeError, ShapeError
from ..tensor import Tensor, tensor_method
from .elementwise import no_shell_kernel, require_tensor
from .products import _C_NAME      # torch's C names of dtypes in its products' messages
from .products import matmul_not_for_bool

__all__ = ["matmul"]


@tensor_method
def matmul(input, other) -> Tensor:
    """Matrix product with torch's rules: 1-D operands are treated as a row (left) or a column
    (right) vector and that dimension is removed from the result; batch dims broadcast. One
    graph node (``matmul``) whatever the operands' dims."""
    if not isinstance(input, Tensor):
        require_tensor(input, "matmul", "input", 1)
    if isinstance(other, (int, float, bool)):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    a, b = input, other if isinstance(other, Tensor) else Tensor._of(other)
    if a.array.dtype != b.array.dtype:
        raise DTypeError(f"expected m1 and m2 to have the same dtype, but got: "
                         f"{_C_NAME.get(a.array.dtype.name, a.dtype)} != "
                         f"{_C_NAME.get(b.array.dtype.name, b.dtype)} (matmul does not "
                         f"promote: cast one side, e.g. x.float())")
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                         f"{a.shape} and {b.shape}")
    no_shell_kernel("dot" if a.ndim == b.ndim == 1 else "addmm_impl_cpu_", a.array.dtype)
    matmul_not_for_bool(a, b)
    return ops.MatMul.apply(a, b)
