"""Norms and distances: vector norms, cdist, cross."""

__all__ = []
