"""``torch.backends.cuda``: the switches of CUDA's matrix multiply (cuBLAS). There is no GPU
here, so they change nothing; they are kept, with torch's defaults and its checks, for the
training scripts that set them (nanoGPT: ``torch.backends.cuda.matmul.allow_tf32 = True``).

``matmul.allow_tf32`` and ``matmul.fp32_precision`` are one switch seen two ways, as in torch:
``allow_tf32 = True`` reads back as ``fp32_precision == "tf32"``."""

__all__ = ["is_built", "matmul", "flash_sdp_enabled", "enable_flash_sdp",
           "mem_efficient_sdp_enabled", "enable_mem_efficient_sdp", "math_sdp_enabled",
           "enable_math_sdp", "cudnn_sdp_enabled", "enable_cudnn_sdp"]


def is_built() -> bool:
    """Whether the library was built with CUDA: it was not."""
    return False


def _bool(value, setter):
    if not isinstance(value, bool):
        raise RuntimeError(f"{setter} expects a bool, but got {type(value).__name__}")
    return value


def _reduction_setting(value, name):
    """``(allow_reduced_precision, allow_splitk)`` from a bool or a tuple/list of one or two
    bools (torch's ``cuBLASModule._parse_reduction_setting``)."""
    def check(obj, which):
        if isinstance(obj, bool):
            return obj
        raise TypeError(f"{name} expects a bool for {which}, but got {type(obj)!r}")
    if isinstance(value, bool):
        return value, True
    if isinstance(value, (list, tuple)):
        if not value:
            raise TypeError(f"{name} expects at least one boolean argument")
        if len(value) > 2:
            raise TypeError(f"{name} expects at most two boolean arguments")
        reduced = check(value[0], "allow_reduced_precision")
        return reduced, True if len(value) == 1 else check(value[1], "allow_splitk")
    raise TypeError(f"{name} expects a bool or a tuple/list of bools, but got {type(value)!r}")


class cuBLASModule:
    """``torch.backends.cuda.matmul``: its switches, readable and settable; any other name is
    an AttributeError ``Unknown attribute <name>``."""

    def __init__(self):
        object.__setattr__(self, "_flags", {
            "fp32_precision": "none", "allow_fp16_accumulation": False,
            "allow_fp16_reduced_precision_reduction": (True, True),
            "allow_bf16_reduced_precision_reduction": (True, True)})

    def __getattr__(self, name):
        flags = self.__dict__["_flags"]
        if name == "allow_tf32":
            return flags["fp32_precision"] == "tf32"
        for half in ("fp16", "bf16"):
            key = f"allow_{half}_reduced_precision_reduction"
            if name in (key, key + "_split_k"):
                return flags[key][name.endswith("_split_k")]
        if name in ("fp32_precision", "allow_fp16_accumulation"):
            return flags[name]
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name, value):
        flags = self._flags
        if name == "allow_tf32":
            flags["fp32_precision"] = "tf32" if _bool(value, "set_allow_tf32_cublas") else "none"
        elif name == "allow_fp16_accumulation":
            flags[name] = _bool(value, "set_allow_fp16_accumulation_cublas")
        elif name in ("allow_fp16_reduced_precision_reduction",
                      "allow_bf16_reduced_precision_reduction"):
            flags[name] = _reduction_setting(value, name)
        elif name == "fp32_precision":
            if value == "bf16":
                raise RuntimeError("backend 'cuda' does not support precision 'bf16'")
            if value not in ("ieee", "tf32", "none"):
                raise RuntimeError(f"Unknown precision: {value}")
            flags[name] = value
        else:
            raise AttributeError("Unknown attribute " + name)


matmul = cuBLASModule()

# the scaled-dot-product-attention kernels torch may pick on a GPU: switches only, here
_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def _sdp_switches(kernel):
    def enabled() -> bool:
        return _sdp[kernel]

    def enable(enabled: bool):
        _sdp[kernel] = enabled
    enabled.__name__, enable.__name__ = f"{kernel}_sdp_enabled", f"enable_{kernel}_sdp"
    enabled.__doc__ = f"Whether the {kernel} attention kernel may be used (a switch only here)."
    enable.__doc__ = f"Allow or forbid the {kernel} attention kernel (a switch only here)."
    return enabled, enable


flash_sdp_enabled, enable_flash_sdp = _sdp_switches("flash")
mem_efficient_sdp_enabled, enable_mem_efficient_sdp = _sdp_switches("mem_efficient")
math_sdp_enabled, enable_math_sdp = _sdp_switches("math")
cudnn_sdp_enabled, enable_cudnn_sdp = _sdp_switches("cudnn")
