"""Norms and distances: torch.linalg.vector_norm / norm, cross, cdist."""

__all__ = []
