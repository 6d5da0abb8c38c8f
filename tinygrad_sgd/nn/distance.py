"""Distance layers: CosineSimilarity, PairwiseDistance (over nn.functional)."""

__all__ = []
