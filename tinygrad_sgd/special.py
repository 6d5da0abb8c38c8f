"""``tinygrad_sgd.special`` (torch.special): the special functions under torch's names."""

__all__ = []
