"""``torch.autocast`` and its deprecated spellings on a CPU-only machine, against torch: CUDA's
autocast warns and disables itself, another accelerator's or a disabled one changes nothing,
the CPU's with an unsupported dtype warns and disables itself — the same warnings, the same
``is_autocast_enabled``, the same numbers; the CPU's enabled (bfloat16/float16 kernels) is
refused here rather than computed otherwise. Also ``torch.cpu``."""
import warnings

import numpy as np
import pytest

import tinygrad_sgd as tg

torch = pytest.importorskip("torch")


def _run(lib, make, probe=None):
    """Enter ``make(lib)``, run a matmul inside, and return what happened: the warnings
    (category, text), the result's dtype, ``probe(lib)`` inside (or None)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with make(lib):
            a = lib.ones(2, 2)
            dtype = str((a @ a).dtype).split(".")[-1]
            seen = None if probe is None else probe(lib)
    return [(w.category.__name__, str(w.message)) for w in caught], dtype, seen


CASES = [
    ("cuda", lambda lib: lib.autocast(device_type="cuda"),
     lambda lib: lib.is_autocast_enabled("cuda")),
    ("cuda default probe", lambda lib: lib.autocast("cuda"), lambda lib: lib.is_autocast_enabled()),
    ("amp.autocast cuda off", lambda lib: lib.amp.autocast("cuda", enabled=False), None),
    ("cuda.amp", lambda lib: lib.cuda.amp.autocast(), lambda lib: lib.is_autocast_enabled("cuda")),
    ("cuda.amp off", lambda lib: lib.cuda.amp.autocast(enabled=False), None),
    ("cpu off", lambda lib: lib.autocast("cpu", enabled=False),
     lambda lib: lib.is_autocast_enabled("cpu")),
    ("cpu float64", lambda lib: lib.autocast("cpu", dtype=lib.float64),
     lambda lib: lib.is_autocast_enabled("cpu")),
    ("cpu float32", lambda lib: lib.amp.autocast(device_type="cpu", dtype=lib.float32), None),
    ("cpu.amp off", lambda lib: lib.cpu.amp.autocast(enabled=False), None),
    ("mps", lambda lib: lib.autocast("mps"), lambda lib: lib.is_autocast_enabled("mps")),
    ("xpu off", lambda lib: lib.autocast("xpu", enabled=False),
     lambda lib: lib.is_autocast_enabled("xpu")),
]


@pytest.mark.parametrize("name,make,probe", CASES, ids=[c[0] for c in CASES])
def test_an_autocast_that_changes_nothing_on_the_cpu_behaves_as_torchs(name, make, probe):
    assert _run(tg, make, probe) == _run(torch, make, probe)
    assert not tg.is_autocast_enabled("cpu") and not tg.is_autocast_enabled("mps")


@pytest.mark.parametrize("make", [lambda lib: lib.autocast("cpu"),
                                  lambda lib: lib.autocast("cpu", dtype=lib.float16),
                                  lambda lib: lib.amp.autocast("cpu", enabled=True)])
def test_the_cpus_own_autocast_is_refused_rather_than_computed_otherwise(make):
    with torch.autocast("cpu"):                  # (torch: matmuls in bfloat16 inside)
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16
    with pytest.raises(NotImplementedError, match="bfloat16|float16"):
        make(tg)


def test_an_unknown_device_type_and_a_decorated_function_as_torchs():
    for lib in (tg, torch):
        with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
            lib.autocast("foo")
    results = []
    for lib in (tg, torch):
        @lib.autocast("cuda")
        def twice(x):
            return x * 2
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results.append((twice(lib.ones(2)).tolist(), [str(w.message) for w in caught]))
    assert results[0] == results[1]


def test_a_training_loop_with_amp_switched_off_gives_torchs_numbers():
    """The usual mixed-precision program run where it is off (no CUDA): autocast and the
    scaler enabled only with CUDA."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 4)).astype(np.float32), rng.standard_normal(16).astype(
        np.float32)
    w0 = rng.standard_normal((1, 4)).astype(np.float32)
    out = []
    for lib, use_amp in ((tg, None), (tg, False), (torch, False)):
        use_amp = lib.cuda.is_available() if use_amp is None else use_amp
        model = lib.nn.Linear(4, 1)
        with lib.no_grad():
            model.weight.copy_(lib.tensor(w0))
            model.bias.zero_()
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        scaler = lib.amp.GradScaler("cuda", enabled=use_amp)
        for _ in range(3):
            opt.zero_grad()
            with lib.autocast(device_type="cuda", dtype=lib.float16, enabled=use_amp):
                loss = ((model(lib.tensor(x)).squeeze(1) - lib.tensor(y)) ** 2).mean()
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        out.append(model.weight.detach().numpy().copy())
    np.testing.assert_array_equal(out[0], out[1])        # (the same, whichever way it is off)
    np.testing.assert_allclose(out[0], out[2], rtol=1e-5, atol=1e-7)   # (products: OpenBLAS
    # here, MKL there — some last bits differ; README, "Matrix products and threads")


def test_torch_cpu_module():
    for name in ("is_available", "device_count", "current_device"):
        assert getattr(tg.cpu, name)() == getattr(torch.cpu, name)()
    assert tg.cpu.synchronize() is None


@pytest.mark.parametrize("path", ["cuda.amp", "cpu.amp"])
@pytest.mark.parametrize("enabled", [True, False])
def test_the_deprecated_scalers_warn_and_scale_as_torchs(path, enabled):
    def make(lib):
        module = lib
        for part in path.split("."):
            module = getattr(module, part)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scaler = module.GradScaler(enabled=enabled)
        loss = lib.ones(1) * 3.0
        return ([(w.category.__name__, str(w.message),      # (the deprecation: at our line)
                  w.filename if w.category is FutureWarning else None) for w in caught],
                scaler.is_enabled(), scaler.scale(loss).tolist())
    assert make(tg) == make(torch)
