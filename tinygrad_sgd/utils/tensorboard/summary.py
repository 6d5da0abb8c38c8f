"""The ``Summary`` each ``SummaryWriter.add_*`` call writes — torch's
``torch.utils.tensorboard.summary``, returning the message's bytes (see :mod:`.proto`).

A ``Summary`` is a list of ``Summary.Value``\\ s, each a tag and one datum: ``simple_value``
(a scalar: TensorBoard's Scalars tab), ``histo`` (a ``HistogramProto``: Histograms and
Distributions), ``image`` (PNG bytes: Images) or ``tensor`` (a ``TensorProto``), with
``metadata`` naming the plugin that shows it where the datum alone does not say (text,
hparams, new-style scalars).
"""
from __future__ import annotations

import logging

import numpy as np

from . import proto
from .png import encode_png

__all__ = ["make_np", "scalar", "histogram_raw", "histogram", "make_histogram", "image",
           "make_image", "figure_to_image", "text", "tensor_proto", "hparams", "convert_to_HWC",
           "make_grid"]

logger = logging.getLogger(__name__)


def make_np(x) -> np.ndarray:
    """A NumPy array of ``x``: an array as it is, a scalar (Python or NumPy) as a
    one-element array, a Tensor's values (detached)."""
    from ...tensor import Tensor
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x):
        return np.array([x])
    if isinstance(x, Tensor):
        return np.array(x.detach().numpy())
    raise NotImplementedError(
        f"Got {type(x)}, but numpy array or torch tensor are expected.")


# ------------------------------------------------------------------ scalars
def scalar(name, tensor, collections=None, new_style=False, double_precision=False) -> bytes:
    """A scalar: ``simple_value`` (a float32), or with ``new_style`` a one-value
    ``TensorProto`` (float, or double with ``double_precision``) for the "scalars" plugin."""
    tensor = make_np(tensor).squeeze()
    if tensor.ndim != 0:
        raise AssertionError(f"Tensor should contain one element (0 dimensions). \
            Was given size: {tensor.size} and {tensor.ndim} dimensions.")
    value = float(tensor)                      # a Python float: NumPy's double
    if not new_style:
        return proto.summary(proto.summary_value(name, simple_value=value))
    if double_precision:
        tensor = proto.tensor_proto("DT_DOUBLE", double_val=[value])
    else:
        tensor = proto.tensor_proto("DT_FLOAT", float_val=[value])
    return proto.summary(proto.summary_value(
        name, tensor=tensor, metadata=proto.summary_metadata("scalars")))


# ------------------------------------------------------------------ histograms
def histogram_raw(name, min, max, num, sum, sum_squares, bucket_limits,
                  bucket_counts) -> bytes:
    """A histogram given as its statistics and buckets (right edges and counts)."""
    return proto.summary(proto.summary_value(name, histo=proto.histogram_proto(
        min, max, num, sum, sum_squares, bucket_limits, bucket_counts)))


def histogram(name, values, bins, max_bins=None) -> bytes:
    """A histogram of ``values`` (any shape) over ``bins`` (edges, or a NumPy rule name)."""
    return proto.summary(proto.summary_value(
        name, histo=make_histogram(make_np(values).astype(float), bins, max_bins)))


def make_histogram(values, bins, max_bins=None) -> bytes:
    """The ``HistogramProto`` of ``values`` as torch builds it: ``np.histogram``; then, past
    ``max_bins``, neighbouring bins summed in groups; then trimmed to the bins from one left
    of the first non-empty one to the last non-empty one (TensorBoard keeps only right edges,
    so the empty bin on the left carries the leftmost edge)."""
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    num_bins = len(counts)
    if max_bins is not None and num_bins > max_bins:
        subsampling = num_bins // max_bins
        remainder = num_bins % subsampling
        if remainder != 0:
            counts = np.pad(counts, pad_width=[[0, subsampling - remainder]],
                            mode="constant", constant_values=0)
        counts = counts.reshape(-1, subsampling).sum(axis=-1)
        new_limits = np.empty((counts.size + 1,), limits.dtype)
        new_limits[:-1] = limits[:-1:subsampling]
        new_limits[-1] = limits[-1]
        limits = new_limits
    cum_counts = np.cumsum(np.greater(counts, 0))
    start, end = np.searchsorted(cum_counts, [0, cum_counts[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    counts = counts[start - 1:end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    return proto.histogram_proto(values.min(), values.max(), len(values), values.sum(),
                                 values.dot(values), limits.tolist(), counts.tolist())


# ------------------------------------------------------------------ images
def make_grid(I, ncols=8):
    """A batch N×C×H×W (C 1 or 3) tiled into one 3×H'×W' image, ``ncols`` images a row."""
    if not isinstance(I, np.ndarray):
        raise AssertionError("plugin error, should pass numpy array here")
    if I.shape[1] == 1:
        I = np.concatenate([I, I, I], 1)
    if I.ndim != 4 or I.shape[1] != 3:
        raise AssertionError("Input should be a 4D numpy array with 3 channels")
    nimg, H, W = I.shape[0], I.shape[2], I.shape[3]
    ncols = min(nimg, ncols)
    nrows = int(np.ceil(float(nimg) / ncols))
    canvas = np.zeros((3, H * nrows, W * ncols), dtype=I.dtype)
    for i in range(nimg):
        y, x = divmod(i, ncols)
        canvas[:, y * H:(y + 1) * H, x * W:(x + 1) * W] = I[i]
    return canvas


def convert_to_HWC(tensor, input_format):
    """``tensor`` laid out as ``input_format`` (letters N, C, H, W in any order) turned into
    height × width × channels: a batch tiled by :func:`make_grid`, one channel (or none) made
    three."""
    if len(set(input_format)) != len(input_format):
        raise AssertionError(f"You can not use the same dimension shorthand twice. \
            input_format: {input_format}")
    if len(tensor.shape) != len(input_format):
        raise AssertionError(f"size of input tensor and input format are different. \
        tensor shape: {tensor.shape}, input_format: {input_format}")
    input_format = input_format.upper()
    if len(input_format) == 4:
        tensor_NCHW = tensor.transpose([input_format.find(c) for c in "NCHW"])
        return make_grid(tensor_NCHW).transpose(1, 2, 0)
    if len(input_format) == 3:
        tensor_HWC = tensor.transpose([input_format.find(c) for c in "HWC"])
        if tensor_HWC.shape[2] == 1:
            tensor_HWC = np.concatenate([tensor_HWC, tensor_HWC, tensor_HWC], 2)
        return tensor_HWC
    if len(input_format) == 2:
        tensor = tensor.transpose([input_format.find(c) for c in "HW"])
        return np.stack([tensor, tensor, tensor], 2)


def image(tag, tensor, dataformats="NCHW") -> bytes:
    """An image (or a batch, tiled): uint8 values taken as 0–255, any other type as 0–1
    (scaled by 255); clipped to 0–255 and PNG-encoded."""
    tensor = convert_to_HWC(make_np(tensor), dataformats)
    scale_factor = 1 if tensor.dtype == np.uint8 else 255
    tensor = (tensor.astype(np.float32) * scale_factor).clip(0, 255).astype(np.uint8)
    return proto.summary(proto.summary_value(tag, image=make_image(tensor)))


def figure_to_image(figures, close=True):
    """A matplotlib figure drawn to a 3×H×W uint8 array (a list of them: N×3×H×W), the
    figure closed after unless ``close`` is False."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    def render_to_rgb(figure):
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        data = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8)
        w, h = figure.canvas.get_width_height()
        image_chw = np.moveaxis(data.reshape([h, w, 4])[:, :, 0:3], source=2, destination=0)
        if close:
            plt.close(figure)
        return image_chw

    if isinstance(figures, list):
        return np.stack([render_to_rgb(figure) for figure in figures])
    return render_to_rgb(figures)


def make_image(tensor) -> bytes:
    """The ``Summary.Image`` of a uint8 height × width × channels array."""
    height, width, channel = tensor.shape
    return proto.image(height, width, channel, encode_png(tensor))


# ------------------------------------------------------------------ text and tensors
def text(tag, text) -> bytes:
    """Text (markdown) for the "text" plugin: a one-string ``TensorProto`` under
    ``<tag>/text_summary``."""
    return proto.summary(proto.summary_value(
        tag + "/text_summary", metadata=proto.summary_metadata("text"),
        tensor=proto.tensor_proto("DT_STRING", [1], string_val=[text.encode("utf_8")])))


def _half_to_int(f: float) -> int:
    """torch's ``half_to_int``: the bits of ``f`` *as a float32*, read as an int32."""
    return int(np.array(f, dtype=np.float32).view(np.int32))


# dtype name -> (TensorProto dtype, value field, convert the flat values); torch's table
# (a uint8 tensor goes to uint32_val: the later of torch's two uint8 rows)
_TENSOR_TYPES = {"float16": ("DT_HALF", "half_val", lambda a: [_half_to_int(x) for x in a]),
                 "float32": ("DT_FLOAT", "float_val", list),
                 "float64": ("DT_DOUBLE", "double_val", list),
                 "int8": ("DT_INT8", "int_val", list), "int16": ("DT_INT16", "int_val", list),
                 "int32": ("DT_INT32", "int_val", list),
                 "int64": ("DT_INT64", "int64_val", list),
                 "uint8": ("DT_UINT8", "uint32_val", list),
                 "bool": ("DT_BOOL", "bool_val", list)}


def tensor_proto(tag, tensor) -> bytes:
    """A whole tensor's values, for the "tensor" plugin."""
    if tensor.numel() * tensor.itemsize >= (1 << 31):
        raise ValueError("tensor is bigger than protocol buffer's hard limit of 2GB in size")
    name = str(tensor.dtype).rsplit(".", 1)[-1]
    if name not in _TENSOR_TYPES:
        raise ValueError(f"{tag} has unsupported tensor dtype {tensor.dtype}")
    dtype, field, convert = _TENSOR_TYPES[name]
    values = convert(make_np(tensor).reshape(-1).tolist())
    return proto.summary(proto.summary_value(
        tag, metadata=proto.summary_metadata("tensor"),
        tensor=proto.tensor_proto(dtype, list(tensor.shape), **{field: values})))


# ------------------------------------------------------------------ hparams
# hparams plugin: tags and enums of tensorboard.plugins.hparams (metadata.py, api.proto)
_HPARAMS = "hparams"
_EXPERIMENT_TAG = "_hparams_/experiment"
_SESSION_START_INFO_TAG = "_hparams_/session_start_info"
_SESSION_END_INFO_TAG = "_hparams_/session_end_info"
_FLOAT64, _STRING, _STATUS_SUCCESS = 3, 1, 1


def _hparams_summary(tag, **data) -> bytes:
    content = proto.hparams_plugin_data(**data)
    return proto.summary(proto.summary_value(
        tag, metadata=proto.summary_metadata(_HPARAMS, content)))


def hparams(hparam_dict=None, metric_dict=None, hparam_domain_discrete=None):
    """The three summaries of the hparams plugin: the experiment (each hyperparameter's name,
    type and discrete domain; the metrics' tags), the session start (the values) and the
    session end (success). Numbers — bools too, as in torch — are FLOAT64, strings STRING;
    a Tensor gives its first value."""
    from ...tensor import Tensor
    if not isinstance(hparam_dict, dict):
        logger.warning("parameter: hparam_dict should be a dictionary, nothing logged.")
        raise TypeError("parameter: hparam_dict should be a dictionary, nothing logged.")
    if not isinstance(metric_dict, dict):
        logger.warning("parameter: metric_dict should be a dictionary, nothing logged.")
        raise TypeError("parameter: metric_dict should be a dictionary, nothing logged.")
    hparam_domain_discrete = hparam_domain_discrete or {}
    if not isinstance(hparam_domain_discrete, dict):
        raise TypeError(
            "parameter: hparam_domain_discrete should be a dictionary, nothing logged.")
    for k, v in hparam_domain_discrete.items():
        if (k not in hparam_dict or not isinstance(v, list)
                or not all(isinstance(d, type(hparam_dict[k])) for d in v)):
            raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of "
                            f"same type as hparam_dict[{k}].")
    infos, values = [], {}
    for k, v in hparam_dict.items():
        if v is None:
            continue
        if isinstance(v, (int, float, str)):
            kind = _STRING if isinstance(v, str) else _FLOAT64
            values[k] = v if isinstance(v, str) else float(v)
            domain = hparam_domain_discrete.get(k)
            if domain is not None:
                domain = proto.list_value(d if isinstance(d, str) else float(d)
                                          for d in domain)
            infos.append(proto.hparam_info(k, kind, domain))
        elif isinstance(v, Tensor):
            values[k] = float(make_np(v)[0])
            infos.append(proto.hparam_info(k, _FLOAT64))
        else:
            raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")
    exp = proto.experiment(infos, [proto.metric_info(k) for k in metric_dict])
    return (_hparams_summary(_EXPERIMENT_TAG, experiment=exp),
            _hparams_summary(_SESSION_START_INFO_TAG,
                             session_start_info=proto.session_start_info(values)),
            _hparams_summary(_SESSION_END_INFO_TAG,
                             session_end_info=proto.session_end_info(_STATUS_SUCCESS)))
