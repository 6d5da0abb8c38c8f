"""Whole objects in a checkpoint — torch's "Save/Load Entire Model": ``save(model, PATH)``,
then ``model = load(PATH, weights_only=False)`` — and the allowlist that lets
``weights_only=True`` build the classes a program trusts.

Saving
------
An object that is more than weights (a Module, an optimizer, a scheduler, an
``argparse.Namespace``, a dataclass, a dict holding any of them) is pickled as ``torch.save``
pickles it, into the same archive: each class by reference (its module and qualified name, so
it must be importable where the file is loaded), each object's state; every Tensor and
Parameter in it still goes to the ``data/`` entries as torch's rebuild call
(:mod:`.serialization_torch_write`), once — a Parameter shared by a model and its optimizer is
one object in the file, and after loading. NumPy arrays and scalars, here as in a checkpoint
of weights, are NumPy's own pickles, as in torch.
What pickle cannot pickle (a lambda, a local class) raises pickle's ``PicklingError``, as in
torch, and the file is left as it was.

Loading
-------
``weights_only=True`` (the default, as torch's since 2.6) builds what torch's weights-only
unpickler builds: tensors, dicts, lists, plain values — plus the globals the program
allowlisted with :func:`add_safe_globals` or :class:`safe_globals` (by ``module.qualname``, or
the path given with it). Anything else raises ``pickle.UnpicklingError`` (exactly that class,
as torch's) with torch's "Weights only load failed" text (after a line naming the file).
``weights_only=False`` unpickles everything — it runs whatever code the file names: only for
files you trust —, tensors as our Tensors. The environment variables
``TORCH_FORCE_WEIGHTS_ONLY_LOAD`` and ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` act as in torch.

Files of real PyTorch
---------------------
A model (an optimizer, a scheduler) real torch pickled whole names torch's classes
(``torch.nn.modules.linear.Linear``) and holds torch's attributes. Its names resolve through
the ``torch`` shim's table to the library's classes, a Module's attributes are turned into ours
(hook tables, dicts), an optimizer gets its hook tables (as torch's ``__setstate__`` gives
them); but only for the torch classes in :data:`TORCH_CLASSES`, whose attributes are the
library's own (``tests/test_save_objects.py`` checks each against torch): any other torch
class is refused, naming it, rather than built with attributes our class might read
differently. A
class of the program that derives from *real* torch's ``nn.Module`` (torch imported in the
same process) cannot hold our tensors: refused too — run the program with ``tinygrad-sgd
run``, where ``torch`` is this library.
"""
from .errors import warn_level
import importlib
import os
import pickle
import pickletools
import warnings
from collections import OrderedDict

__all__ = ["add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "get_unsafe_globals_in_checkpoint", "TORCH_CLASSES"]

_safe = set()      # the program's safe globals: objects, or (object, "module.qualname")


def add_safe_globals(safe_globals):
    """Mark ``safe_globals`` (classes and functions, or ``(obj, "full.path")`` tuples) as safe
    for ``load(weights_only=True)``: a file may then build those classes, call those
    functions (torch's ``torch.serialization.add_safe_globals``)."""
    _safe.update(safe_globals)


def get_safe_globals():
    """The globals :func:`add_safe_globals` marked (a list)."""
    return list(_safe)


def clear_safe_globals():
    _safe.clear()


class safe_globals:
    """``with safe_globals([Net]): load(f)``: the globals marked safe inside the block only."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        _safe.difference_update(self.safe_globals)


def _user_allowed():
    """``"module.qualname"`` → object, for every safe global (torch's checks of a tuple)."""
    allowed = {}
    for f in _safe:
        if isinstance(f, tuple):
            if len(f) != 2:
                raise ValueError(f"Expected tuple of length 2 (global, str of callable full "
                                 f"path), but got tuple of length: {len(f)}")
            if type(f[1]) is not str:
                raise TypeError(f"Expected second item in tuple to be str of callable full "
                                f"path, but got: {type(f[1])}")
            allowed[f[1]] = f[0]
        else:
            allowed[f"{f.__module__}.{f.__qualname__}"] = f
    return allowed


def get_unsafe_globals_in_checkpoint(f):
    """The globals (``"module.name"``) that a checkpoint's pickle names and that
    ``weights_only=True`` would not build — neither torch's defaults nor the program's safe
    globals — read from its opcodes without unpickling (torch's function of that name)."""
    from .serialization_torch import default_safe, is_torch_checkpoint, read_pickle
    if not is_torch_checkpoint(f):
        raise ValueError("Expected input to be a checkpoint returned by torch.save")
    user, strings, found = _user_allowed(), [], []
    for op, arg, _ in pickletools.genops(read_pickle(f)):
        if op.name in ("GLOBAL", "STACK_GLOBAL"):
            module, name = arg.split(" ", 1) if op.name == "GLOBAL" else strings[-2:]
            module = "builtins" if module == "__builtin__" else module
            path = f"{module}.{name}"
            if not default_safe(module, name) and path not in user and path not in found:
                found.append(path)
        elif isinstance(arg, str):
            strings.append(arg)
    return found


def weights_only_choice(weights_only, pickle_module):
    """torch's ``weights_only`` as ``load`` decides it: by default True (False when a
    ``pickle_module`` is given), forced by the environment variables."""
    not_set = weights_only is None
    if not_set:
        weights_only = pickle_module is None
    yes = ("1", "y", "yes", "true")
    force = os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in yes
    force_no = os.getenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0").lower() in yes
    if force and force_no:
        raise RuntimeError("Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or "
                           "`TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` should be set, but both were set.")
    if force:
        weights_only = True
    elif force_no and not_set:
        warnings.warn("Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD detected, since "
                      "the`weights_only` argument was not explicitly passed to `torch.load`, "
                      "forcing weights_only=False.", UserWarning, stacklevel=warn_level(3))
        weights_only = False
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                           "specified")
    return bool(weights_only)


# torch's text (torch.serialization's UNSAFE_MESSAGE and DOCS_MESSAGE, its weights-only
# unpickler's), kept word for word: a program that prints or matches torch's message sees it
UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will "
    "likely succeed, but it can result in arbitrary code execution. Do it only if you got the "
    "file from a trusted source.")
DOCS_MESSAGE = ("\n\nCheck the documentation of torch.load to learn more about types accepted "
                "by default with weights_only https://pytorch.org/docs/stable/generated/"
                "torch.load.html.")


def torch_global_message(module, name):
    """torch's whole ``UnpicklingError`` text for a global its ``weights_only=True`` does not
    build (``builtins.`` left off the name, as torch shows it)."""
    path = f"{module}.{name}"
    shown = path[len("builtins."):] if module == "builtins" else path
    return ("Weights only load failed. This file can still be loaded, to do so you have two "
            "options, \033[1mdo those steps only if you trust the source of the checkpoint"
            f"\033[0m. \n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with "
            "`weights_only=True` please check the recommended steps in the following error "
            f"message.\n\tWeightsUnpickler error: Unsupported global: GLOBAL {shown} was not an "
            f"allowed global by default. Please use `torch.serialization.add_safe_globals("
            f"[{shown}])` or the `torch.serialization.safe_globals([{shown}])` context manager "
            f"to allowlist this global if you trust this class/function.{DOCS_MESSAGE}")


class Refused(Exception):
    """A global or a BUILD step ``weights_only=True`` does not build, raised inside the
    unpickling; :func:`~.serialization.load` raises it as ``pickle.UnpicklingError`` — torch's
    class exactly —, as ``torch.load`` re-raises its weights-only unpickler's error (here
    apart from the ``UnpicklingError`` of a damaged pickle, which names the damage)."""


def weights_only_error(module, name, file_name):
    """The error for a global ``weights_only=True`` does not build: a first line naming the
    file and what the global is, then torch's message word for word
    (:func:`torch_global_message`). NumPy's scalars (``numpy._core.multiarray.scalar``) and
    arrays (``numpy._core.multiarray._reconstruct``) are such globals, in torch as here."""
    path = f"{module}.{name}"
    if module.split(".")[0] == "numpy":
        what = (f"a pickled NumPy array or scalar ({path}), which torch.load's weights_only=True "
                f"refuses too: load it with weights_only=False (a file you trust), or save "
                f"torch.from_numpy(a) (or a.tolist(), float(x))")
    else:
        what = (f"{path}, which only a full unpickling builds (a pickled model, or an object "
                f"of a class): save model.state_dict() to load weights only")
    return Refused(f"{file_name}: the checkpoint holds {what}.\n"
                            f"{torch_global_message(module, name)}")


def build_error(inst, file_name):
    """The error for a BUILD step on an object of a class ``weights_only=True`` does not build
    (a NumPy dtype's, ``numpy.dtypes.Float64DType``, where ``numpy.dtype`` was allowlisted but
    not that class): the file's name, then torch's message word for word."""
    return Refused(
        f"{file_name}: Weights only load failed. {UNSAFE_MESSAGE}\nPlease file an issue with "
        f"the following so that we can make `weights_only=True` compatible with your use case: "
        f"WeightsUnpickler error: \n\nCan only build Tensor, Parameter, OrderedDict or types "
        f"allowlisted via `add_safe_globals`, but got {type(inst)}{DOCS_MESSAGE}")


# ----------------------------------------------------------------------------- torch's classes
# torch's classes an object torch pickled whole may hold, whose attributes (but for the torch
# internals dropped, below) are our class's own: each checked against torch by the tests
TORCH_CLASSES = frozenset({
    "Linear", "Identity", "Bilinear", "NonDynamicallyQuantizableLinear",
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm",
    "Dropout", "Dropout1d", "Dropout2d", "ReLU", "Tanh", "Sigmoid", "GELU", "LeakyReLU",
    "ELU", "SiLU", "Softmax", "LogSoftmax", "Flatten", "MaxPool1d", "MaxPool2d", "AvgPool2d",
    "AdaptiveAvgPool2d", "Embedding", "Sequential", "ModuleList", "ModuleDict",
    "MultiheadAttention", "TransformerEncoderLayer", "LSTM", "GRU", "RNN",
    "CrossEntropyLoss", "MSELoss", "NLLLoss",
    # optimizers and lr schedulers
    "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "StepLR", "MultiStepLR", "ExponentialLR",
    "CosineAnnealingLR", "LambdaLR", "OneCycleLR", "ReduceLROnPlateau", "LinearLR"})
# what torch's classes keep and the library's do not: RNNs' list of weights (rebuilt from the
# parameters), convolutions' ``transposed`` (ours know it by class)
_TORCH_ONLY = ("_flat_weights", "_flat_weight_refs", "transposed")
_ALIASES = {("torch.nn.modules.linear", "NonDynamicallyQuantizableLinear"):
            ("tinygrad_sgd.nn.attention._multihead", "NonDynamicallyQuantizableLinear")}


def _torch_global(module, name, file_name):
    """The library's object for torch's ``module.name`` (through the shim's table), or
    :class:`CheckpointError` where the library has none, or has a class not checked to keep
    torch's attributes (not in :data:`TORCH_CLASSES`)."""
    from ._torch_shim import MODULES
    from .nn.module import Module
    from .optim.optimizer import Optimizer
    from .serialization import CheckpointError
    row, found = MODULES.get(module), None
    if (module, name) in _ALIASES:
        target, attr = _ALIASES[(module, name)]
    elif row is not None and name not in row.hidden and (row.only is None or name in row.only) \
            and (not name.startswith("_") or name in row.private):     # (as the shim finds it)
        target, attr = row.target, name
    else:
        target = attr = None
    if target is not None:
        found = getattr(importlib.import_module(target), attr, None)
    if found is None:
        raise CheckpointError(f"{file_name}: the checkpoint holds {module}.{name}, a part of "
                              f"PyTorch tinygrad_sgd does not provide")
    if isinstance(found, type) and name not in TORCH_CLASSES:
        what = "optimizer" if issubclass(found, Optimizer) else "model" if issubclass(
            found, Module) else "scheduler" if hasattr(found, "state_dict") else None
        hint = f"save {what}.state_dict() (tinygrad_sgd loads that)" if what else \
            "save what it holds as plain values"
        raise CheckpointError(f"{file_name}: the checkpoint holds a whole {module}.{name} "
                              f"pickled by PyTorch, whose attributes tinygrad_sgd's {name} "
                              f"is not known to keep as torch's: load the file with torch and "
                              f"{hint}")
    return found


def _of_real_torch(obj):
    """Whether ``obj`` is (or derives from) real torch's, not the library's."""
    classes = obj.__mro__ if isinstance(obj, type) else (obj,)
    return any(isinstance(getattr(c, "__module__", None), str) and
               c.__module__.split(".")[0] == "torch" for c in classes)


def _module_state(state, torch_class):
    """A Module's attributes as torch pickles them, made ours: ``_parameters``, ``_buffers``
    and ``_modules`` as OrderedDicts, the with-kwargs and always-called hook tables (torch's
    ``{id: True}``) as sets of ids, torch's ``_is_full_backward_hook`` dropped, and for one of
    torch's own classes (``torch_class``) what only torch's keeps. Our own layout is kept."""
    drop = ("_is_full_backward_hook",) + (_TORCH_ONLY if torch_class else ())
    state = {k: v for k, v in state.items() if k not in drop}
    for key in ("_parameters", "_buffers", "_modules"):
        if type(state.get(key)) is dict:
            state[key] = OrderedDict(state[key])
    for key in ("_forward_hooks_with_kwargs", "_forward_pre_hooks_with_kwargs",
                "_forward_hooks_always_called"):
        if isinstance(state.get(key), dict):
            state[key] = {k for k, v in state[key].items() if v}
    return state


def _missing_tables(module):
    """The hook tables and the set of non-persistent buffers that ``module`` lacks (a file of
    an older torch), new and empty — as torch's ``Module.__setstate__`` adds them."""
    import copy
    from .nn.module import Module
    for key, value in vars(Module()).items():
        if key not in module.__dict__ and key not in ("_parameters", "_buffers", "_modules",
                                                      "training"):
            module.__dict__[key] = copy.copy(value)


class ObjectUnpickler(pickle._Unpickler):
    """Reads ``data.pkl`` for whole objects: ``weights_only=False`` builds every global
    (torch's names as the library's), ``weights_only=True`` those of torch's list and the
    program's safe globals. (pickle's own Python unpickler: its BUILD step is where a
    Module pickled by torch gets our attributes.)"""
    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, storage, name, weights_only, allowed):
        super().__init__(file, encoding="utf-8")
        self._storage, self._name, self._weights_only = storage, name, weights_only
        self._allowed = allowed      # the safe globals: "module.qualname" → object
        self._from_torch = set()     # our classes that torch's names resolved to

    def find_class(self, module, name):
        from .serialization_torch import known_global
        saved_as, module = module, "builtins" if module == "__builtin__" else module
        path = f"{module}.{name}"
        found = known_global(module, name, self._name)
        if found is not None:
            return found
        if path in self._allowed:
            return self._allowed[path]
        is_torch = module.split(".")[0] == "torch"
        if self._weights_only:              # (a torch name, allowed as the library's object)
            from .serialization import CheckpointError
            try:
                ours = _torch_global(module, name, self._name) if is_torch else None
            except CheckpointError:
                ours = None
            if ours is None or not any(ours is v for v in self._allowed.values()):
                raise weights_only_error(module, name, self._name)
            if isinstance(ours, type):
                self._from_torch.add(ours)
            return ours
        if is_torch:
            found = _torch_global(module, name, self._name)
            if isinstance(found, type):
                self._from_torch.add(found)
            return found
        found = super().find_class(saved_as, name)      # (protocol 2's names mapped)
        if _of_real_torch(found):
            from .serialization import CheckpointError
            raise CheckpointError(f"{self._name}: the checkpoint holds {path}, which derives "
                                  f"from real PyTorch's classes (torch is imported here): "
                                  f"tinygrad_sgd builds its own modules. Run the program with "
                                  f"`tinygrad-sgd run` (there `torch` is tinygrad_sgd), or "
                                  f"load the file with torch.load")
        return found

    def persistent_load(self, saved_id):
        return self._storage(saved_id)

    def _load_build(self):
        from .nn.module import Module
        from .optim.optimizer import Optimizer
        state, inst = self.stack[-1], self.stack[-2]
        if self._weights_only and not any(type(inst) is v for v in self._allowed.values()):
            from .serialization_torch import _ALLOWED
            from .tensor import Tensor
            if not (isinstance(inst, Tensor) or type(inst) in _ALLOWED.values()):
                raise build_error(inst, self._name)
        if isinstance(inst, Module) and isinstance(state, dict):
            self.stack[-1] = _module_state(state, type(inst) in self._from_torch)
        pickle._Unpickler.load_build(self)
        if isinstance(inst, Module):              # as torch's Module.__setstate__
            _missing_tables(inst)
        if isinstance(inst, Optimizer):                 # as torch's Optimizer.__setstate__
            from .optim.step_hooks import _HOOK_TABLES, _patch_step_function
            for table in _HOOK_TABLES:
                inst.__dict__.setdefault(table, OrderedDict())
            _patch_step_function(type(inst))
    dispatch[pickle.BUILD[0]] = _load_build


def unpickler(weights_only):
    """The class :func:`.serialization_torch.load_torch_checkpoint` reads a file's pickle
    with: the fast weights-only one (None), unless the load is full or the program has safe
    globals (checked here, as torch checks them, before the file is read)."""
    if weights_only and not _safe:
        return None
    allowed = _user_allowed() if weights_only else {}
    return lambda file, storage, name: ObjectUnpickler(file, storage, name, weights_only,
                                                       allowed)
