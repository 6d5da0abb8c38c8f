"""``torch.nn.utils.init``: :func:`skip_init`, a module built without initialising its
weights."""

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` without the random initialisation of its parameters
    and buffers (torch builds it on the "meta" device and then allocates ``torch.empty``
    memory, whose values are whatever was there). Here the module is built on the CPU and
    every parameter and buffer is then set to zeros (its shape, dtype and requires_grad
    kept): arbitrary values, as torch's, but reproducible. The random generator's state is
    restored afterwards, so, as in torch, skipping the initialisation draws no random
    numbers. The class must take a ``device`` argument (torch's condition)."""
    import inspect

    from ... import get_rng_state, set_rng_state
    from ...device import check_device
    from ...meta import is_meta
    from ..module import Module
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    device = kwargs.pop("device", "cpu")
    check_device(device, meta=True)
    state = get_rng_state()
    try:
        module = module_cls(*args, device=device, **kwargs)
    finally:
        set_rng_state(state)
    for tensor in list(module.parameters()) + list(module.buffers()):
        if not is_meta(tensor):          # (a meta module's: nothing to set)
            tensor.array[...] = 0
    return module
