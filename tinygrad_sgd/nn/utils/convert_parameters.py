"""``torch.nn.utils.convert_parameters``: all parameters as one flat vector and back."""
from ...tensor import Tensor
from .clip_grad import _as_list

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """All ``parameters`` flattened and concatenated into one 1-d Tensor (differentiable,
    like torch's ``cat`` of ``view(-1)``s)."""
    from ... import cat
    return cat([p.reshape(-1) for p in _as_list(parameters)])


def vector_to_parameters(vec, parameters):
    """The inverse of :func:`parameters_to_vector`: each parameter in turn takes the next
    ``numel()`` entries of the 1-d Tensor ``vec``, shaped like it. As in torch, the parameters
    then *share* ``vec``'s memory (their ``.data`` is replaced by views of it)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected Tensor, but got: {type(vec).__module__}."
                        f"{type(vec).__name__}")
    flat = vec.array
    if flat.ndim != 1:
        raise RuntimeError(f"vector_to_parameters: vec must be 1-d, got shape {vec.shape}")
    start = 0
    for param in _as_list(parameters):
        end = start + param.numel()
        if end > flat.size:
            raise RuntimeError(f"vector_to_parameters: vec has {flat.size} entries, too few for "
                               f"the parameters (at least {end} needed)")
        param.array = flat[start:end].reshape(param.shape)      # a view of vec's memory
        start = end
