"""Distances and normalisation of vectors: normalize, cosine_similarity, pairwise_distance; and
one_hot."""

__all__ = []
