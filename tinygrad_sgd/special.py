"""``tinygrad_sgd.special`` (torch.special): the special functions under torch's names.

Each is the same function as the top-level one (``special.erf is tinygrad_sgd.erf``) or, for
the names only torch.special has (``expit``, ``gammaln``, ``psi``, ``xlog1py``, ``ndtr``,
``ndtri``, ``multigammaln``), a thin alias or a function of its own."""
from .functions.activation import log_softmax as _log_softmax, softmax as _softmax
from .functions.math import exp2, expm1, log1p, round  # noqa: F401
from .functions.reduce import logsumexp  # noqa: F401
from .functions.special import (erf, erfc, erfinv, digamma, polygamma, logit, xlogy,  # noqa: F401
                                xlog1py, sinc, expit, ndtr, ndtri, lgamma as gammaln,
                                mvlgamma as multigammaln, erfcx, log_ndtr, entr,
                                zeta, i0, i0e, i1, i1e)
from .functions import special_more as _more      # gammainc, the Bessel functions, ...

__all__ = ["erf", "erfc", "erfinv", "expit", "logit", "xlogy", "xlog1py", "sinc", "gammaln",
           "digamma", "psi", "polygamma", "softmax", "log_softmax", "logsumexp", "round",
           "log1p", "expm1", "exp2", "ndtr", "ndtri", "multigammaln", "erfcx", "log_ndtr", "entr",
           "zeta", "i0", "i0e", "i1", "i1e"]
__all__ += _more.SPECIAL_ONLY
globals().update({name: getattr(_more, name) for name in _more.SPECIAL_ONLY})

psi = digamma


def softmax(input, dim, *, dtype=None):
    """softmax along ``dim``, the input first converted to ``dtype`` when given."""
    return _softmax(input if dtype is None else input.to(dtype), dim)


def log_softmax(input, dim, *, dtype=None):
    return _log_softmax(input if dtype is None else input.to(dtype), dim)
