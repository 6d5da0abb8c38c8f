"""``tinygrad_sgd.nn.functional`` (import it as ``F``): stateless layers and losses with
torch's signatures, grouped as torch's documentation groups them:

* :mod:`.layers` — linear, flatten, and the activations; :mod:`.activation_more` — the
  shrinks, threshold, rrelu, gumbel_softmax and the in-place spellings (``relu_``, ...);
* :mod:`.dropouts` — dropout, dropout1d/3d, alpha dropout;
* :mod:`.conv` — convolutions (:mod:`.conv_dtypes`: the dtypes torch convolves, and its
  errors for the others); :mod:`.pooling` — pooling;
* :mod:`.vision` — pad, interpolate, unfold/fold;
* :mod:`.normalization` — layer_norm, rms_norm, batch_norm, group_norm, instance_norm,
  local_response_norm;
* :mod:`.shuffle` — pixel_shuffle, pixel_unshuffle, channel_shuffle;
* :mod:`.sparse` — embedding;
* :mod:`.attention` — scaled_dot_product_attention;
* :mod:`.distance` — normalize, cosine_similarity, pairwise_distance, one_hot;
* :mod:`.loss`, :mod:`.loss_more`, :mod:`.loss_linear` — the losses.

Each function checks its arguments (errors in the user's terms) and then calls one primitive
of :mod:`tinygrad_sgd.ops`, or composes Tensor operations — so from ``F.conv2d`` to the
backward formula is one jump.
"""
from .layers import *  # noqa: F401,F403
from .dropouts import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .vision import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .activation_more import *  # noqa: F401,F403
from .shuffle import *  # noqa: F401,F403
from .loss_more import *  # noqa: F401,F403
from .ctc import *  # noqa: F401,F403
from .pooling_more import *  # noqa: F401,F403
from . import (layers, dropouts, conv, pooling, vision, loss, normalization, sparse, attention,
               distance, activation_more, shuffle, loss_more)
from .loss import _check_reduction  # noqa: F401  (used by the loss Modules)

__all__ = (layers.__all__ + dropouts.__all__ + conv.__all__ + pooling.__all__ + vision.__all__
           + loss.__all__
           + normalization.__all__ + sparse.__all__ + attention.__all__ + distance.__all__
           + activation_more.__all__ + shuffle.__all__ + loss_more.__all__)
from . import ctc as _ctc  # noqa: E402
__all__ += _ctc.__all__
from . import pooling_more as _pooling_more  # noqa: E402
__all__ += _pooling_more.__all__
# torch's F also has the top-level ``native_channel_shuffle`` (its star import brings it)
from ...functions.nn_native import native_channel_shuffle  # noqa: F401,E402
__all__ += ["native_channel_shuffle"]
