"""Dropout layers: random zeros while training, the identity after ``eval()``."""
from . import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout"]


class _DropoutNd(Module):
    """What every dropout layer holds (torch's ``_DropoutNd``): the probability ``p``
    (checked), ``inplace``, and their repr."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not isinstance(p, (int, float)) or not 0 <= p <= 1:    # (True/False: as 1/0)
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p!r}")
        self.p, self.inplace = p, inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` while training (kept ones ×1/(1−p));
    the identity after ``eval()``."""

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels of ``(N, C, H, W)`` with probability ``p`` while training (kept ones
    ×1/(1−p)); the identity after ``eval()``."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` with probability ``p`` while
    training (kept ones ×1/(1−p)); the identity after ``eval()``."""

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zero whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` with probability ``p``
    while training (kept ones ×1/(1−p)); the identity after ``eval()``."""

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Alpha dropout while training (keeps a SELU network's mean and variance); the identity
    after ``eval()``. As torch, ``inplace`` is stored but not used."""

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels while training; the identity after ``eval()``. As
    torch, ``inplace`` is stored but not used."""

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training)
