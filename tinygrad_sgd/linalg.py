"""``tinygrad_sgd.linalg`` (torch.linalg): norms of vectors and matrices."""

__all__ = []
