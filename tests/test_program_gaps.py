"""Names torch programs use that the library lacked, each against torch 2.13 itself:
``nn.DataParallel`` (torch's behaviour with no accelerator), ``with torch.device(...)``,
``torch.utils.benchmark`` (Timer semantics; Measurement and Compare text byte for byte on the
same times), torchvision's ``FakeData`` (the images torch's generator draws) and
``ToPILImage``."""
import pickle
import re
import threading
import warnings

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd._torch_shim import torch_modules
from tinygrad_sgd.vision import datasets, transforms

torch = pytest.importorskip("torch")
import torch.utils.benchmark as tbench  # noqa: E402

gbench = tg.utils.benchmark


def _copy_weights(ours, theirs):
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})


def _models():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.BatchNorm1d(5),
                                 torch.nn.ReLU(), torch.nn.Linear(5, 2))
    ours = tg.nn.Sequential(tg.nn.Linear(4, 5), tg.nn.BatchNorm1d(5), tg.nn.ReLU(),
                            tg.nn.Linear(5, 2))
    _copy_weights(ours, theirs)
    return ours, theirs


# ------------------------------------------------------------------ nn.DataParallel
def test_data_parallel_runs_the_module_as_torch_does_without_an_accelerator():
    ours, theirs = _models()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dp_t = torch.nn.DataParallel(theirs, device_ids=[0, "cuda:1"], output_device=1, dim=1)
        dp_g = tg.nn.DataParallel(ours, device_ids=[0, "cuda:1"], output_device=1, dim=1)
    assert caught == []                                     # torch warns of nothing either
    assert repr(dp_g) == repr(dp_t) and dp_g.module is ours
    assert dp_g.device_ids == dp_t.device_ids == []
    for name in ("dim", "output_device", "src_device_obj"):
        assert hasattr(dp_g, name) is hasattr(dp_t, name) is False
    assert list(dp_g.state_dict()) == list(dp_t.state_dict())
    assert [n for n, _ in dp_g.named_parameters()] == [n for n, _ in dp_t.named_parameters()]
    assert all(a is b for a, b in zip(dp_g.parameters(), ours.parameters()))
    x = np.random.default_rng(1).standard_normal((6, 4)).astype(np.float32)
    out_t, out_g = dp_t(torch.tensor(x)), dp_g(tg.tensor(x))
    np.testing.assert_allclose(out_g.detach().numpy(), out_t.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    out_t.square().sum().backward()
    out_g.square().sum().backward()
    for (name, p_t), p_g in zip(theirs.named_parameters(), ours.parameters()):
        np.testing.assert_allclose(p_g.grad.numpy(), p_t.grad.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=name)
    np.testing.assert_allclose(ours[1].running_mean.numpy(), theirs[1].running_mean.numpy(),
                               rtol=1e-5, atol=1e-6)        # the buffers are the module's
    dp_t.eval(), dp_g.eval()
    assert dp_g.module.training is dp_t.module.training is False
    np.testing.assert_allclose(dp_g(tg.tensor(x)).detach().numpy(),
                               dp_t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_data_parallel_state_dicts_and_arguments_pass_through():
    ours, theirs = _models()
    dp_g = tg.nn.DataParallel(ours)
    torch.manual_seed(3)
    other = torch.nn.DataParallel(torch.nn.Sequential(
        torch.nn.Linear(4, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(), torch.nn.Linear(5, 2)))
    dp_g.load_state_dict({k: tg.tensor(v.numpy()) for k, v in other.state_dict().items()})
    np.testing.assert_array_equal(ours[0].weight.detach().numpy(),
                                  other.module[0].weight.detach().numpy())

    class Affine:
        def forward(self, a, b=1, *, c=2):
            return a * b + c

    mods = {lib: type("M", (lib.nn.Module,), {"forward": Affine.forward}) for lib in (tg, torch)}
    for lib in (tg, torch):
        dp = lib.nn.DataParallel(mods[lib]())
        assert dp(3, 4, c=5) == 17
        assert dp(lib.ones(2), b=3, c=lib.ones(2)).tolist() == [4.0, 4.0]
    assert tg.nn.DataParallel[tg.nn.Linear].__origin__ is tg.nn.DataParallel   # Generic
    assert tg.nn.parallel.DataParallel is tg.nn.DataParallel


def test_data_parallel_forward_is_a_profiler_range_as_in_torch():
    names = {}
    for lib in (tg, torch):
        dp = lib.nn.DataParallel(lib.nn.Linear(2, 3))
        with lib.profiler.profile() as prof:
            dp(lib.ones(4, 2))
        names[lib] = [e.name for e in prof.events()]
    assert "DataParallel.forward" in names[torch] and "DataParallel.forward" in names[tg]


def _error(fn):
    try:
        fn()
    except Exception as e:          # noqa: BLE001  (the error itself is what is compared)
        return type(e), str(e)
    return None


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.parallel.data_parallel(lib.nn.Linear(2, 2), lib.ones(1, 2)),
    lambda lib: lib.nn.parallel.DistributedDataParallel(lib.nn.Linear(2, 2)),
    lambda lib: lib.nn.parallel.DistributedDataParallel(lib.nn.Linear(2, 2), device_ids=[0]),
    lambda lib: lib.nn.parallel.DistributedDataParallel(lib.nn.Linear(2, 2),
                                                        process_group=object(),
                                                        device_mesh=object()),
    lambda lib: lib.nn.parallel.DistributedDataParallel(lib.nn.Linear(2, 2),
                                                        delay_all_reduce_named_params=[]),
])
def test_data_parallel_function_and_ddp_fail_as_torch_without_devices(call):
    expected = _error(lambda: call(torch))
    assert expected is not None and _error(lambda: call(tg)) == expected


def test_parallel_names_under_the_runner():
    with torch_modules():
        import torch as t
        from torch.nn.parallel import DataParallel, DistributedDataParallel
        from torch.nn.parallel.data_parallel import DataParallel as DP2
        from torch.nn.parallel.distributed import DistributedDataParallel as DDP2
        assert t.nn.DataParallel is DataParallel is DP2 is tg.nn.DataParallel
        assert DistributedDataParallel is DDP2
        ns = {}
        exec("from torch.nn import *", ns)
        assert ns["parallel"] is t.nn.parallel and ns["DataParallel"] is DataParallel
        with pytest.raises(NotImplementedError, match="torch.nn.parallel.scatter is not"):
            t.nn.parallel.scatter


# ------------------------------------------------------------------ torch.device as a context
def test_device_context_on_the_cpu_as_torch():
    for lib in (tg, torch):
        d = lib.device("cpu")
        with d as entered:
            assert entered is d
            assert repr(lib.get_default_device()) == "device(type='cpu')"
            assert lib.zeros(2).device == d and lib.tensor([1.0]).device.type == "cpu"
            with lib.device("cpu", 0):                       # an index is reported, as torch
                inner = repr(lib.get_default_device())
            assert repr(lib.get_default_device()) == "device(type='cpu')"
        assert inner == "device(type='cpu', index=0)"
        with pytest.raises(ValueError, match="inside"):      # exceptions pass through
            with lib.device("cpu"):
                raise ValueError("inside")
        assert repr(lib.get_default_device()) == "device(type='cpu')"


def test_device_context_is_per_thread():
    for lib in (tg, torch):
        seen = []
        with lib.device("cpu", 0):
            t = threading.Thread(target=lambda: seen.append(repr(lib.get_default_device())))
            t.start()
            t.join()
            assert repr(lib.get_default_device()) == "device(type='cpu', index=0)"
        assert seen == ["device(type='cpu')"]


@pytest.mark.parametrize("name", ["cuda", "cuda:1", "mps"])      # (meta is a device here:
def test_device_context_refuses_other_devices_as_set_default_device(name):   # test_meta_device)
    with pytest.raises(RuntimeError, match="CPU only") as entering:
        with tg.device(name):
            pytest.fail("entered")                            # pragma: no cover
    with pytest.raises(RuntimeError) as setting:
        tg.set_default_device(name)
    assert str(entering.value) == str(setting.value)
    assert repr(tg.get_default_device()) == "device(type='cpu')"


def test_set_and_get_default_device_on_the_library_as_torch():
    try:
        for lib in (tg, torch):
            lib.set_default_device("cpu:0")
            assert repr(lib.get_default_device()) == "device(type='cpu', index=0)"
            with lib.device("cpu"):
                assert repr(lib.get_default_device()) == "device(type='cpu')"
            assert repr(lib.get_default_device()) == "device(type='cpu', index=0)"
            lib.set_default_device(None)
            assert repr(lib.get_default_device()) == "device(type='cpu')"
        assert _error(lambda: tg.set_default_device(3)) == _error(
            lambda: torch.set_default_device(3))
    finally:
        tg.set_default_device(None)
        torch.set_default_device(None)
    with torch_modules():
        import torch as t
        assert t.set_default_device is tg.set_default_device
        assert t.get_default_device is tg.get_default_device
        with t.device("cpu"):
            assert t.ones(1).device == t.device("cpu")


# ------------------------------------------------------------------ torch.utils.benchmark
def _strip_address(text):
    text = re.sub(r" object at 0x[0-9a-f]+>", " object>", text)
    return text.replace("tinygrad_sgd.utils.benchmark.common", "torch.utils.benchmark.utils.common")


def _cases():
    rng = np.random.default_rng(5)
    cases = []
    for n in (1, 2, 3, 4, 7, 25):
        for k, (stmt, setup) in enumerate([("x + 1", "pass"), ("y = x\ny + 1", "x = 1"),
                                          ("f(x)", "a = 1\nb = 2")]):
            base = 10 ** rng.uniform(-8.5, 0.5)
            spread = (1.02, 1.2, 1.6)[k]
            times = list(base * rng.uniform(1, spread, n))
            spec = dict(stmt=stmt, setup=setup, label=["add", None, "add"][k],
                        sub_label=[None, "int", "float"][k], description=f"n={n % 3}",
                        num_threads=1 + n % 2)
            cases.append((int(rng.choice([1, 10, 100])), times, spec))
    return cases


@pytest.mark.parametrize("number, times, spec", _cases())
def test_measurement_text_and_statistics_are_torchs(number, times, spec):
    theirs = tbench.Measurement(number, times, tbench.TaskSpec(**spec))
    ours = gbench.Measurement(number, times, gbench.TaskSpec(**spec))
    assert _strip_address(repr(ours)) == _strip_address(repr(theirs))
    assert ours.times == theirs.times and ours.median == theirs.median
    assert ours.iqr == theirs.iqr and ours.mean == pytest.approx(theirs.mean, rel=1e-13)
    assert ours.significant_figures == theirs.significant_figures
    assert ours.has_warnings == theirs.has_warnings and ours.title == theirs.title
    assert ours.as_row_name == theirs.as_row_name and ours.env == theirs.env
    assert (ours.label, ours.num_threads) == (theirs.label, theirs.num_threads)
    again = pickle.loads(pickle.dumps(ours))                # serializable, as torch's
    assert again.task_spec == ours.task_spec and again.raw_times == ours.raw_times


@pytest.mark.parametrize("options", [(), ("trim",), ("columns",), ("rows",), ("warn",),
                                     ("trim", "warn", "columns"), ("env",)])
def test_compare_tables_are_torchs(options):
    found = {}
    for lib in (tbench, gbench):
        results = [lib.Measurement(number, times, lib.TaskSpec(
            **dict(spec, env=("A" if i % 2 else "B") if "env" in options else None)))
            for i, (number, times, spec) in enumerate(_cases())]
        results += lib.Measurement.merge(results[:3])        # replicates are merged again
        compare = lib.Compare(results)
        if "trim" in options:
            compare.trim_significant_figures()
        if "columns" in options or "rows" in options:
            compare.colorize(rowwise="rows" in options)
        if "warn" in options:
            compare.highlight_warnings()
        found[lib] = str(compare)
    assert found[gbench] == found[tbench]
    assert "Times are in" in found[gbench] and "threads: ---" in found[gbench]


def test_compare_refuses_what_torch_refuses():
    for lib in (tbench, gbench):
        with pytest.raises(ValueError, match="Expected an instance of `Measurement`, got "
                                             "<class 'int'> instead."):
            lib.Compare([1])
        undescribed = lib.Compare([lib.Measurement(1, [1e-3], lib.TaskSpec("x", "pass"))])
        with pytest.raises(TypeError):                        # (torch's table needs them)
            str(undescribed)


def test_unit_and_rounding_helpers_are_torchs():
    values = [3e-9, 1e-9, 1e-6, 0.999e-6, 1e-3, 0.5, 1.0, 12.3, 7.77e-5, 2.5e-8]
    for v in values:
        assert gbench.select_unit(v) == tbench.select_unit(v), v
        for n in (1, 2, 3, 4):
            assert gbench.trim_sigfig(v * 3.14159, n) == tbench.trim_sigfig(v * 3.14159, n)
    assert [gbench.unit_to_english(u) for u in ("ns", "us", "ms", "s")] == \
        [tbench.unit_to_english(u) for u in ("ns", "us", "ms", "s")]
    assert gbench.ordered_unique([3, 1, 3, 2, 1]) == tbench.ordered_unique([3, 1, 3, 2, 1])
    assert sorted(gbench.__all__) == sorted(n for n in gbench.__all__ if hasattr(tbench, n))


def test_timer_timeit_runs_stmt_and_setup_as_torchs():
    counts = {}
    for lib in (tbench, gbench):
        runs, setups, scope = [0], [0], {"runs": None, "setups": None}
        scope.update(runs=runs, setups=setups)
        timer = lib.Timer("runs[0] += 1\nz = 1", setup="setups[0] += 1", globals=scope,
                          label="count", sub_label="s", description="d", num_threads=2)
        m = timer.timeit(number=250)
        counts[lib] = (runs[0], setups[0], m.number_per_run, len(m.raw_times), m.title,
                       m.description, m.num_threads, "z" in scope)
        m = timer.timeit(3)
        counts[lib] += (runs[0], setups[0], m.number_per_run)
    assert counts[gbench] == counts[tbench] == (252, 2, 250, 1, "count: s", "d", 2, False,
                                                257, 4, 3)


def test_timer_sets_threads_and_gives_torch_to_the_statement():
    seen = []
    timer = gbench.Timer("seen.append((torch, torch.get_num_threads()))",
                         globals={"seen": seen}, num_threads=3)
    before = tg.get_num_threads()
    timer.timeit(1)
    assert seen[-1] == (tg, 3) and tg.get_num_threads() == before
    with torch_modules():
        import sys
        import torch as t
        from torch.utils.benchmark import Timer
        assert Timer is gbench.Timer and t.utils.benchmark.Compare is gbench.Compare
        from torch.utils.benchmark.utils.common import Measurement
        assert Measurement is gbench.Measurement
        Timer("seen.append(torch)", globals={"seen": seen}).timeit(1)
        assert seen[-1] is sys.modules["torch"] and seen[-1] is not tg


@pytest.mark.parametrize("method", ["blocked_autorange", "adaptive_autorange"])
def test_autoranges_time_blocks_of_one_size(method):
    blocks = []
    timer = gbench.Timer("x.append(1)", setup="x = []")
    kwargs = dict(min_run_time=0.01) if method == "blocked_autorange" else \
        dict(threshold=0.5, min_run_time=0.01, max_run_time=0.2)
    m = getattr(timer, method)(callback=lambda number, t: blocks.append((number, t)), **kwargs)
    assert isinstance(m, gbench.Measurement) and len(m.raw_times) == len(blocks)
    assert {n for n, _ in blocks} == {m.number_per_run}
    assert re.fullmatch(r"10*", str(m.number_per_run))         # a power of ten, as torch's
    assert [t for _, t in blocks] == m.raw_times and sum(m.raw_times) >= 0.01
    assert m.times == [t / m.number_per_run for t in m.raw_times]
    if method == "adaptive_autorange":
        assert len(m.raw_times) > 3 or sum(m.raw_times) > 0.2


@pytest.mark.parametrize("make", [
    lambda lib: lib.Timer(stmt=lambda: 1),
    lambda lib: lib.Timer("x", global_setup="import y"),
    lambda lib: lib.Timer("x", language="java"),
    lambda lib: lib.Timer("x").repeat(),
    lambda lib: lib.Timer("x").autorange(),
])
def test_timer_errors_are_torchs(make):
    expected = _error(lambda: make(tbench))
    assert expected is not None and _error(lambda: make(gbench)) == expected


def test_cpp_timer_is_reported_as_not_provided():
    with pytest.raises(NotImplementedError, match="not provided by tinygrad_sgd"):
        gbench.Timer("x", language="cpp")


# ------------------------------------------------------------------ torchvision FakeData
def _torch_item(index, image_size, num_classes, offset):
    torch.manual_seed(index + offset)
    image = torch.randn(*image_size)
    target = torch.randint(0, num_classes, size=(1,), dtype=torch.long)[0]
    pixels = image.mul(255).byte().permute(1, 2, 0).numpy()
    return (pixels[:, :, 0] if pixels.shape[2] == 1 else pixels), target.item()


@pytest.mark.parametrize("image_size, num_classes, offset, mode", [
    ((3, 12, 9), 10, 0, "RGB"), ((1, 7, 5), 3, 17, "L"), ((4, 6, 6), 100, 5, "RGBA"),
    ((2, 5, 4), 2, 1000, "LA")])
def test_fakedata_gives_torchvisions_images_and_targets(image_size, num_classes, offset,
                                                        mode):
    ds = datasets.FakeData(size=6, image_size=image_size, num_classes=num_classes,
                           random_offset=offset)
    assert len(ds) == 6 and ds.root is None and ds.transforms is None
    for index in (0, 3, 5, -1):
        image, target = ds[index]
        pixels, expected_target = _torch_item(index, image_size, num_classes, offset)
        assert image.mode == mode and image.size == (image_size[2], image_size[1])
        np.testing.assert_array_equal(np.asarray(image), pixels)
        assert type(target) is int and target == expected_target
    with pytest.raises(IndexError, match="^FakeData index out of range$"):
        ds[6]


def test_fakedata_leaves_the_generator_and_its_seed_alone():
    ds = datasets.FakeData(size=2, image_size=(3, 4, 4))
    for lib in (tg, torch):
        lib.manual_seed(7)
        lib.randn(3)
    ds[1]
    torch.manual_seed(11)                   # (what torchvision does around its draws)
    torch.randn(3, 4, 4)
    torch.randint(0, 10, (1,))
    torch.manual_seed(7)
    torch.randn(3)
    assert tg.initial_seed() == 7
    np.testing.assert_array_equal(tg.randn(5).numpy(), torch.randn(5).numpy())


def test_fakedata_transforms_dataloader_and_repr():
    seen = []

    def plus_one(target):
        seen.append(target)
        return target + 1

    ds = datasets.FakeData(size=5, image_size=(3, 6, 4), num_classes=4,
                           transform=transforms.ToTensor(), target_transform=plus_one)
    image, target = ds[2]
    pixels, expected = _torch_item(2, (3, 6, 4), 4, 0)
    np.testing.assert_allclose(image.numpy(), pixels.transpose(2, 0, 1) / np.float32(255))
    assert target == expected + 1 and type(target) is int
    assert isinstance(seen[0], tg.Tensor) and seen[0].ndim == 0 and seen[0].dtype == tg.int64
    images, targets = next(iter(tg.utils.data.DataLoader(ds, batch_size=5)))
    assert tuple(images.shape) == (5, 3, 6, 4) and targets.dtype == tg.int64
    assert targets.tolist() == [_torch_item(i, (3, 6, 4), 4, 0)[1] + 1 for i in range(5)]
    assert repr(datasets.FakeData()) == "Dataset FakeData\n    Number of datapoints: 1000"
    assert repr(datasets.FakeData(size=3, transform=transforms.ToTensor())) == (
        "Dataset FakeData\n    Number of datapoints: 3\n    StandardTransform\n"
        "Transform: ToTensor()")
    with torch_modules():
        import torchvision
        assert torchvision.datasets.FakeData is datasets.FakeData
        assert torchvision.transforms.ToPILImage is transforms.ToPILImage


def test_to_pil_image_as_torchvision():
    x = torch.rand(3, 5, 4) * 1.5 - 0.25                       # (values past 0 and 1 wrap)
    image = transforms.ToPILImage()(tg.tensor(x.numpy()))
    np.testing.assert_array_equal(np.asarray(image), x.mul(255).byte().permute(1, 2, 0).numpy())
    gray = transforms.ToPILImage(mode="F")(tg.tensor(x[:1].numpy()))
    assert gray.mode == "F"
    np.testing.assert_array_equal(np.asarray(gray), x[0].numpy())
    assert transforms.ToPILImage()(np.zeros((3, 2), np.uint8)).mode == "L"
    assert transforms.ToPILImage()(tg.zeros(2, 3, dtype=tg.uint8)).mode == "L"
    assert repr(transforms.ToPILImage()) == "ToPILImage()"
    assert repr(transforms.ToPILImage("RGB")) == "ToPILImage(mode=RGB)"
    with pytest.raises(ValueError, match=r"^pic should not have > 4 channels. Got 5 channels"):
        transforms.ToPILImage()(tg.zeros(5, 2, 2))
    with pytest.raises(ValueError, match="^pic should be 2/3 dimensional. Got 4 dimensions."):
        transforms.ToPILImage()(tg.zeros(1, 1, 2, 2))
    with pytest.raises(TypeError, match="^pic should be Tensor or ndarray. Got <class 'list'>"):
        transforms.ToPILImage()([1, 2])
    with pytest.raises(ValueError, match=re.escape(
            "Only modes ['RGB', 'YCbCr', 'HSV'] are supported for 3D inputs")):
        transforms.ToPILImage(mode="RGBA")(tg.zeros(3, 2, 2))
    with pytest.raises(TypeError, match="^Input type float64 is not supported"):
        transforms.ToPILImage()(np.zeros((2, 2, 3)))
