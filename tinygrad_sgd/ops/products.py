"""Products of tensors beyond matmul: einsum, outer, bmm, baddbmm, addmm, tensordot, kron."""

__all__ = []
