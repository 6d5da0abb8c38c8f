"""``torch.utils.data.distributed``: where torch keeps ``DistributedSampler`` (a torch program
reaches it as ``torch.utils.data.distributed.DistributedSampler``); it lives with the other
samplers in :mod:`.sampler`."""
from .sampler import DistributedSampler

__all__ = ["DistributedSampler"]
