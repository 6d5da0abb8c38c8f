"""``torch`` and ``torchvision`` as names for this library — for :mod:`tinygrad_sgd.as_torch`.

Nothing here is active after ``import tinygrad_sgd``: only :func:`torch_modules` (used by the
runner) installs an import hook, and takes it away again. While it is installed,
``import torch`` (and ``torch.nn``, ``torch.nn.functional``, ``torch.optim``, ...,
``torchvision.transforms``: the table :data:`MODULES`) gives a *module object* that looks its
attributes up in the matching module of this library:

* ``torch.tensor``, ``torch.nn.Linear``, ``torch.optim.SGD``, ... are the library's own;
* a submodule of the table (``torch.nn``, ``torch.utils.data``) is its module object;
* a name the library does not have, or has only for itself (``tinygrad_sgd.viz``,
  ``tinygrad_sgd.gradcheck``: the hidden names of each row), raises
  ``NotImplementedError: torch.xyz is not provided by tinygrad_sgd`` at the attribute access
  — so does importing a submodule outside the table (``import torch.fx``). That
  error is an AttributeError too (an ImportError for a submodule), so that ``hasattr(torch,
  name)`` is False and ``try: import torch.xyz / except ImportError`` falls back, as with a
  torch that lacks the name.

A few names torch has and the library does not are defined here, with their meaning on a
CPU-only library (:data:`EXTRAS`): ``torch.dtype`` (the library's ``DType``),
``torch.autograd.gradcheck`` and ``gradgradcheck``, ``torch.optim.lr_scheduler._LRScheduler``
(a private name torch keeps);
``torch.__version__`` and ``torch.version`` (:mod:`.version`); the private base classes
user code reaches by torch's paths (``torch.nn.modules.batchnorm._BatchNorm``).
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import os
import sys
import types
from typing import NamedTuple, Optional

__all__ = ["Row", "MODULES", "EXTRAS", "ShimModule", "TorchFinder", "torch_modules", "not_provided"]


class Row(NamedTuple):
    """One torch module: the library module it resolves to (None: a namespace of submodules
    only), the names of that module torch does not have (hidden), or the only names given,
    and the private names (``_pair``) torch has there that user code imports."""
    target: Optional[str]
    hidden: frozenset = frozenset()
    only: Optional[frozenset] = None
    private: frozenset = frozenset()


# torch.optim's one file per optimizer (torch.optim.adam.Adam); AdamW shares the library's adam
_OPTIMIZER_FILES = {"adadelta": "Adadelta", "adagrad": "Adagrad", "adam": "Adam",
                    "adamax": "Adamax", "adamw": "AdamW", "asgd": "ASGD", "lbfgs": "LBFGS",
                    "nadam": "NAdam", "radam": "RAdam", "rmsprop": "RMSprop", "rprop": "Rprop",
                    "sgd": "SGD", "sparse_adam": "SparseAdam"}
MODULES = {
    "torch": Row("tinygrad_sgd", frozenset({
        "gradcheck", "gradgradcheck", "GradcheckError", "bool_", "DType", "get_rng", "data",
        "utils", "runtime_flags",
        # Tensor methods only, in torch
        "contiguous", "expand", "expand_as", "repeat"})),
    "torch.nn": Row("tinygrad_sgd.nn", frozenset({"IncompatibleKeys"})),
    "torch.nn.functional": Row("tinygrad_sgd.nn.functional", frozenset({"hinge_loss",
                                                                        "flatten"})),
    "torch.nn.init": Row("tinygrad_sgd.nn.init", private=frozenset({
        "_calculate_fan_in_and_fan_out", "_calculate_correct_fan", "_no_grad_uniform_",
        "_no_grad_normal_"})),
    "torch.nn.utils": Row("tinygrad_sgd.nn.utils"),
    "torch.nn.utils.clip_grad": Row("tinygrad_sgd.nn.utils.clip_grad", only=frozenset({
        "clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "_get_total_norm",
        "_clip_grads_with_norm_"}), private=frozenset({"_get_total_norm",
                                                        "_clip_grads_with_norm_"})),
    "torch.nn.utils.convert_parameters": Row("tinygrad_sgd.nn.utils.convert_parameters",
                                             only=frozenset({"parameters_to_vector",
                                                             "vector_to_parameters"})),
    "torch.nn.utils.init": Row("tinygrad_sgd.nn.utils.init", only=frozenset({"skip_init"})),
    "torch.nn.utils.memory_format": Row("tinygrad_sgd.nn.utils.memory_format"),
    "torch.nn.utils.rnn": Row("tinygrad_sgd.nn.utils.rnn"),
    "torch.nn.utils.parametrize": Row("tinygrad_sgd.nn.utils.parametrize"),
    "torch.nn.utils.parametrizations": Row("tinygrad_sgd.nn.utils.parametrizations"),
    "torch.nn.utils.stateless": Row("tinygrad_sgd.nn.utils.stateless"),
    "torch.nn.utils.fusion": Row("tinygrad_sgd.nn.utils.fusion"),
    "torch.nn.utils.prune": Row("tinygrad_sgd.nn.utils.prune"),
    "torch.nn.grad": Row("tinygrad_sgd.nn.grad"),
    "torch.nn.parameter": Row("tinygrad_sgd.nn.parameter"),
    "torch.nn.parallel": Row("tinygrad_sgd.nn.parallel"),
    "torch.nn.parallel.data_parallel": Row("tinygrad_sgd.nn.parallel", only=frozenset({
        "DataParallel", "data_parallel"})),
    "torch.nn.parallel.distributed": Row("tinygrad_sgd.nn.parallel", only=frozenset({
        "DistributedDataParallel"})),
    "torch.nn.attention": Row("tinygrad_sgd.nn.attention", only=frozenset({
        "SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS"})),
    "torch.testing": Row("tinygrad_sgd.testing"),
    "torch.compiler": Row("tinygrad_sgd.compiler", frozenset({"InvalidBackend"})),
    "torch.nn.modules": Row("tinygrad_sgd.nn.modules", frozenset({"SUBMODULES"})),
    "torch.optim.swa_utils": Row("tinygrad_sgd.optim.swa_utils"),
    "torch.optim": Row("tinygrad_sgd.optim", frozenset({"optimizer", "step_hooks"})
                       | _OPTIMIZER_FILES.keys()),     # (torch deletes these names)
    "torch.optim.lr_scheduler": Row("tinygrad_sgd.optim.lr_scheduler"),
    "torch.optim.optimizer": Row("tinygrad_sgd.optim.optimizer", only=frozenset({
        "Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook",
        "required"})),
    "torch.autograd": Row("tinygrad_sgd.autograd", frozenset({
        "SumToShape", "make_grads", "module_scope", "run_backward", "sum_to_shape",
        "is_anomaly_enabled", "is_grad_enabled"})),
    "torch.autograd.function": Row("tinygrad_sgd.autograd.custom", only=frozenset({
        "Function", "once_differentiable"})),
    "torch.autograd.functional": Row("tinygrad_sgd.autograd.functional"),
    "torch.autograd.forward_ad": Row("tinygrad_sgd.autograd.forward_ad", only=frozenset({
        "UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual",
        "dual_level"})),
    "torch.autograd.graph": Row("tinygrad_sgd.autograd.graph"),
    "torch.autograd.profiler": Row("tinygrad_sgd.autograd.profiler"),
    "torch.autograd.profiler_util": Row("tinygrad_sgd.profiler.events", only=frozenset({
        "EventList", "FunctionEvent", "FunctionEventAvg"})),
    "torch.profiler": Row("tinygrad_sgd.profiler"),
    "torch.autograd.grad_mode": Row("tinygrad_sgd.autograd", only=frozenset({
        "no_grad", "enable_grad", "set_grad_enabled", "inference_mode"})),
    "torch.func": Row("tinygrad_sgd.func"),
    "torch.cuda": Row("tinygrad_sgd.cuda"),
    "torch.accelerator": Row("tinygrad_sgd.accelerator"),
    "torch.xpu": Row("tinygrad_sgd.xpu"),
    "torch.hub": Row("tinygrad_sgd.hub", private=frozenset({"_get_torch_home"})),
    "torch.backends": Row(None),
    "torch.backends.mps": Row("tinygrad_sgd.backends.mps"),
    "torch.backends.cudnn": Row("tinygrad_sgd.backends.cudnn"),
    "torch.backends.cuda": Row("tinygrad_sgd.backends.cuda"),
    "torch.version": Row("tinygrad_sgd._torch_shim.version", frozenset({"TorchVersion"})),
    "torch.cuda.amp": Row("tinygrad_sgd.amp.cuda_amp"),
    "torch.amp": Row("tinygrad_sgd.amp"),
    "torch.cpu": Row("tinygrad_sgd.cpu"),
    "torch.multiprocessing": Row("tinygrad_sgd.multiprocessing"),
    "torch.distributed": Row("tinygrad_sgd.distributed"),
    "torch.cpu.amp": Row("tinygrad_sgd.cpu.amp"),
    "torch.linalg": Row("tinygrad_sgd.linalg"),
    "torch.overrides": Row("tinygrad_sgd.overrides", frozenset({
        "DisableTorchFunctionSubclass", "DisableTorchFunction"}), private=frozenset({
            "_get_overloaded_args", "_get_current_function_mode",
            "_get_current_function_mode_stack", "_is_torch_function_mode_enabled"})),
    "torch._C": Row("tinygrad_sgd._C", private=frozenset({
        "_disabled_torch_function_impl", "_is_torch_function_enabled",
        "_is_torch_function_all_disabled"})),
    "torch.special": Row("tinygrad_sgd.special"),
    "torch.signal": Row("tinygrad_sgd.signal"),
    "torch.signal.windows": Row("tinygrad_sgd.signal.windows", only=frozenset({
        "bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
        "general_hamming", "hamming", "hann", "kaiser", "nuttall"})),
    "torch.distributions": Row("tinygrad_sgd.distributions"),
    "torch.distributions.beta": Row("tinygrad_sgd.distributions.beta", only=frozenset({"Beta"})),
    "torch.distributions.chi2": Row("tinygrad_sgd.distributions.chi2", only=frozenset({"Chi2"})),
    "torch.distributions.fishersnedecor": Row("tinygrad_sgd.distributions.fishersnedecor",
                                              only=frozenset({"FisherSnedecor"})),
    "torch.distributions.multinomial": Row("tinygrad_sgd.distributions.multinomial",
                                           only=frozenset({"Multinomial"})),
    "torch.serialization": Row("tinygrad_sgd.serialization", only=frozenset({
        "save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
        "safe_globals", "get_unsafe_globals_in_checkpoint"})),
    "torch.random": Row("tinygrad_sgd", only=frozenset({
        "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
        "default_generator", "thread_safe_generator"})),
    "torch.utils": Row("tinygrad_sgd.utils", only=frozenset({"swap_tensors"})),
    "torch.utils.deterministic": Row("tinygrad_sgd.utils.deterministic"),
    "torch.utils.model_zoo": Row("tinygrad_sgd.utils.model_zoo", only=frozenset({"load_url",
                                                                                 "tqdm"})),
    "torch.jit": Row("tinygrad_sgd.jit"),
    "torch.__future__": Row("tinygrad_sgd.__future__"),
    "torch.utils.checkpoint": Row("tinygrad_sgd.utils.checkpoint"),
    "torch.utils.hooks": Row("tinygrad_sgd.utils.hooks"),
    "torch.utils.dlpack": Row("tinygrad_sgd.utils.dlpack"),
    "torch.utils.data": Row("tinygrad_sgd.utils.data"),
    "torch.utils.benchmark": Row("tinygrad_sgd.utils.benchmark"),
    "torch.utils.tensorboard": Row("tinygrad_sgd.utils.tensorboard"),
    "torch.utils.tensorboard.writer": Row("tinygrad_sgd.utils.tensorboard.writer"),
    "torch.utils.tensorboard.summary": Row("tinygrad_sgd.utils.tensorboard.summary",
                                           frozenset({"figure_to_image", "make_grid"})),
    "torch.utils.benchmark.utils": Row(None),
    "torch.utils.benchmark.utils.common": Row("tinygrad_sgd.utils.benchmark.common"),
    "torch.utils.benchmark.utils.timer": Row("tinygrad_sgd.utils.benchmark.timer"),
    "torch.utils.benchmark.utils.compare": Row("tinygrad_sgd.utils.benchmark.compare"),
    "torch.utils.data._utils": Row(None),
    "torch.utils.data._utils.collate": Row("tinygrad_sgd.utils.data.collate"),
    "torch.utils.data.dataloader": Row("tinygrad_sgd.utils.data.dataloader", only=frozenset({
        "DataLoader", "get_worker_info", "default_collate", "default_convert"})),
    "torch.utils.data.dataset": Row("tinygrad_sgd.utils.data.dataset", only=frozenset({
        "Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset",
        "StackDataset", "Subset", "random_split"})),
    "torch.utils.data.sampler": Row("tinygrad_sgd.utils.data.sampler", only=frozenset({
        "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
        "WeightedRandomSampler", "BatchSampler"})),
    "torch.utils.data.distributed": Row("tinygrad_sgd.utils.data.sampler",
                                        only=frozenset({"DistributedSampler"})),
    "torchvision": Row("tinygrad_sgd.vision"),
    "torchvision.datasets": Row("tinygrad_sgd.vision.datasets"),
    "torchvision.transforms": Row("tinygrad_sgd.vision.transforms"),
    "torchvision.utils": Row("tinygrad_sgd.vision.utils"),
}
_NN_MODULES = ("module", "linear", "conv", "batchnorm", "normalization", "instancenorm",
               "container", "activation", "loss", "pooling", "dropout", "sparse", "rnn",
               "transformer", "padding", "pixelshuffle", "upsampling", "flatten", "distance",
               "fold", "channelshuffle", "lazy", "adaptive")
MODULES.update({f"torch.nn.modules.{name}": Row(f"tinygrad_sgd.nn.modules.{name}")
                for name in _NN_MODULES})
MODULES["torch.nn.modules.utils"] = Row("tinygrad_sgd.nn.modules.utils", private=frozenset({
    "_single", "_pair", "_triple", "_quadruple", "_ntuple", "_reverse_repeat_tuple"}))
MODULES.update({f"torch.optim.{name}": Row("tinygrad_sgd.optim." + name.replace("adamw", "adam"),
                                           only=frozenset({cls}))
                for name, cls in _OPTIMIZER_FILES.items()})

# What ``from torch.xyz import *`` brings: the names dir() offers (those of torch's __all__, or
# its public names), but for the submodules (only those torch's __all__ lists, or all of
# torch.nn's, which has no __all__) and the names torch leaves out of its __all__.
STARRED_SUBMODULES = {
    "torch.nn": {"attention", "functional", "grad", "init", "modules", "parallel", "parameter",
                 "utils"},
    "torch.nn.utils": {"parametrizations", "parametrize", "rnn", "stateless"},
    "torch.optim": {"lr_scheduler", "swa_utils"}, "torch.autograd": {"grad_mode"},
    "torch.cuda": {"amp"}}
NOT_STARRED = {
    "torch": {"HalfTensor", "broadcast_shapes", "channels_last", "channels_last_3d",
              "contiguous_format", "legacy_contiguous_format",
              "from_dlpack", "lu", "pca_lowrank", "preserve_format", "return_types",
              "set_default_dtype", "set_grad_enabled", "strided", "svd_lowrank", "to_dlpack",
              "unique", "eig", "lstsq", "matrix_rank", "segment_reduce", "solve", "symeig",
              "while_loop"},
    "torch.random": {"default_generator"}, "torch.optim.optimizer": {"required"},
    "torch.backends.cudnn": {"allow_tf32", "benchmark", "benchmark_limit", "deterministic",
                             "enabled", "is_acceptable", "is_available", "version"}}
# the private base classes user code names by torch's path (nn.modules.batchnorm._BatchNorm)
_NN_PRIVATE = {"conv": ("_ConvNd",), "batchnorm": ("_BatchNorm", "_NormBase"),
               "instancenorm": ("_InstanceNorm",), "loss": ("_Loss", "_WeightedLoss"),
               "dropout": ("_DropoutNd",)}


def _nn_private(module, name):
    return lambda: getattr(importlib.import_module(f"tinygrad_sgd.nn.modules.{module}"), name)


def _dtype_class():
    from ..dtypes import DType
    return DType


def _gradcheck():
    from ..gradcheck import gradcheck
    return gradcheck


def _gradgradcheck():
    from ..gradcheck import gradgradcheck
    return gradgradcheck


def _old_scheduler_base():
    from ..optim.lr_scheduler import _LRScheduler
    return _LRScheduler


# torch module -> {name: function returning the value}
EXTRAS = {
    "torch": {"dtype": _dtype_class},
    "torch.autograd": {"gradcheck": _gradcheck, "gradgradcheck": _gradgradcheck},
    # torch's old base-class name, still what many schedulers subclass
    "torch.optim.lr_scheduler": {"_LRScheduler": _old_scheduler_base},
}
EXTRAS.update({f"torch.nn.modules.{module}": {name: _nn_private(module, name) for name in names}
               for module, names in _NN_PRIVATE.items()})


class NotProvidedAttribute(NotImplementedError, AttributeError):
    """A torch attribute the library does not provide: a NotImplementedError, and an
    AttributeError too, so that ``hasattr(torch, name)`` is False and ``getattr(torch, name,
    default)`` gives the default, as for a name torch lacks. Reported as NotImplementedError."""


class NotProvidedModule(NotImplementedError, ModuleNotFoundError):
    """A torch submodule the library does not provide: a NotImplementedError, and a
    ModuleNotFoundError too, so that ``try: import torch.xyz / except ImportError:`` takes its
    fallback, as with a torch that lacks the module. Reported as NotImplementedError."""


for _cls in (NotProvidedAttribute, NotProvidedModule):     # tracebacks print the plain name
    _cls.__module__, _cls.__qualname__ = "builtins", "NotImplementedError"


def not_provided(name: str, module: bool = False) -> NotImplementedError:
    """The error for a torch name (``module``: a submodule) this library does not provide."""
    cls = NotProvidedModule if module else NotProvidedAttribute
    return cls(f"{name} is not provided by tinygrad_sgd")


def _children(name: str) -> set:
    prefix = name + "."
    return {m[len(prefix):] for m in MODULES if m.startswith(prefix) and "." not in
            m[len(prefix):]}


class ShimModule(types.ModuleType):
    """A torch module whose attributes are looked up, on first access, in a module of this
    library (see the module notes); a name it does not provide raises NotImplementedError."""

    def __init__(self, name: str):
        super().__init__(name)
        row = MODULES[name]
        self.__path__ = []                                  # a package: submodules import
        self.__package__ = name
        self._target_name, self._hidden, self._only = row.target, row.hidden, row.only
        self._private = row.private
        self._children = _children(name)
        if name == "torch":                      # torch.__version__, a comparable version
            from .version import __version__
            self.__version__ = __version__

    def _target(self):
        return None if self._target_name is None else importlib.import_module(self._target_name)

    def __getattr__(self, attr: str):
        if attr == "__all__":                              # for ``from torch.xyz import *``
            self.__all__ = self._starred()
            return self.__all__
        if attr.startswith("__") and attr.endswith("__") and attr not in self._children:
            raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}")
        value = self._resolve(attr)
        setattr(self, attr, value)                           # found once, then plain lookup
        return value

    def __setattr__(self, attr: str, value):
        target = self._target() if self.__dict__.get("_target_name") else None
        if target is not None and isinstance(getattr(type(target), attr, None), property):
            setattr(target, attr, value)     # a module attribute with a setter (a property of
        else:                                # its module's class: torch.utils.deterministic's)
            super().__setattr__(attr, value)

    def _resolve(self, attr: str):
        full = f"{self.__name__}.{attr}"
        if attr in self._children:
            return importlib.import_module(full)
        extras = EXTRAS.get(self.__name__, {})
        if attr in extras:
            return extras[attr]()
        target = self._target()
        if target is None or attr in self._hidden \
                or (attr.startswith("_") and attr not in self._private) \
                or (self._only is not None and attr not in self._only):
            raise not_provided(full)
        try:
            value = getattr(target, attr)
        except AttributeError:
            raise not_provided(full) from None
        if isinstance(value, types.ModuleType):   # the library's own submodules are not torch's
            raise not_provided(full)
        return value

    def __dir__(self):
        """The names this module provides (those of the library module torch also has)."""
        names = (set(self._children) - self._hidden) | set(EXTRAS.get(self.__name__, {}))
        target = self._target()
        if target is not None:
            public = self._only or getattr(target, "__all__", None) or \
                [n for n in vars(target) if not n.startswith("_")]
            for n in public:
                if n in self._hidden or (self._only is not None and n not in self._only):
                    continue
                if hasattr(target, n) and not isinstance(getattr(target, n), types.ModuleType):
                    names.add(n)                       # (torch.newaxis is None)
        return sorted(names)

    def _starred(self):
        """The names ``import *`` brings (see :data:`STARRED_SUBMODULES`, :data:`NOT_STARRED`)."""
        skipped = (self._children - STARRED_SUBMODULES.get(self.__name__, set())) \
            | NOT_STARRED.get(self.__name__, set())
        return [n for n in dir(self) if not n.startswith("_") and n not in skipped]

    def __repr__(self):
        target = self._target_name or "a namespace"
        return f"<module {self.__name__!r} (tinygrad_sgd: {target})>"


class _ShimLoader(importlib.abc.Loader):
    def create_module(self, spec):
        return ShimModule(spec.name)

    def exec_module(self, module):
        pass


class TorchFinder(importlib.abc.MetaPathFinder):
    """Resolves ``torch``, ``torchvision`` and their submodules to :class:`ShimModule`\\ s; a
    submodule outside :data:`MODULES` raises NotImplementedError naming it."""

    ROOTS = ("torch", "torchvision")

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] not in self.ROOTS:
            return None
        if fullname not in MODULES:
            raise not_provided(fullname, module=True)
        return importlib.machinery.ModuleSpec(fullname, _ShimLoader(), is_package=True)


def _is_torch_name(name: str) -> bool:
    return name.split(".")[0] in TorchFinder.ROOTS


@contextlib.contextmanager
def torch_modules():
    """While active, ``import torch`` (and the rest of :data:`MODULES`) gives this library.
    Modules of a real torch already imported are set aside and put back afterwards."""
    saved = {name: mod for name, mod in sys.modules.items() if _is_torch_name(name)}
    for name in saved:
        del sys.modules[name]
    finder = TorchFinder()
    sys.meta_path.insert(0, finder)
    try:
        yield finder
    finally:
        sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if _is_torch_name(n)]:
            del sys.modules[name]
        sys.modules.update(saved)


# --------------------------------------------------------------- child processes
# the folder whose ``torch`` / ``torchvision`` packages a spawned child imports first
CHILDREN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "children")
_in_child = []


def become_torch_in_child(name):
    """In a spawned child of a program the runner runs (see ``children/torch``): install the
    runner's import hook and torch's printed names for good, then replace the placeholder
    module ``name`` in ``sys.modules`` by the library's."""
    if not _in_child:
        from ..printing import OPTIONS
        OPTIONS.namespace = "torch"
        _in_child.append(torch_modules())
        _in_child[0].__enter__()
    sys.modules.pop(name, None)     # (torch_modules set it aside already)
    sys.modules[name] = importlib.import_module(name)
