"""Combining and splitting tensors, and broadcasting helpers: hstack, vstack, dstack,
column_stack, atleast_*d, broadcast_to, broadcast_tensors, block_diag, cartesian_prod, ..."""

__all__ = []
