"""ChannelShuffle (torch's ``nn/modules/channelshuffle.py``): ShuffleNet's mixing of channel
groups."""
from . import functional as F
from .module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """Interleave the ``groups`` groups of channels of ``(N, C, *)``."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
