"""More in-place Tensor methods (made from the out-of-place functions with
:func:`functions.inplace.inplace`)."""
