"""Products of tensors beyond matmul: einsum, outer, dot, mv, bmm, baddbmm, addmm, tensordot,
kron."""

__all__ = []
