"""torch.profiler on the library, against torch's own profiler running the same programs: which
rows appear and how often (for the ops both have), the schedule's steps and on_trace_ready
calls, the table's columns and number format, the Chrome trace. Timings are never compared."""
import gzip
import json
import re
import warnings

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd.autograd.grad_mode import _mode
from tinygrad_sgd.profiler import events as tg_events, recording

torch = pytest.importorskip("torch")
import torch.autograd.profiler_util as torch_util  # noqa: E402


# ----------------------------------------------------------------------------- programs
def mlp_step(lib):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(20, 30), lib.nn.ReLU(), lib.nn.Linear(30, 5))
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    x, y = lib.randn(8, 20), lib.tensor([0, 1, 2, 3, 4, 0, 1, 2])
    with lib.profiler.profile(activities=[lib.profiler.ProfilerActivity.CPU],
                              record_shapes=True) as prof:
        with lib.profiler.record_function("model_inference"):
            loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
    return prof


def conv_forward(lib):
    conv, pool = lib.nn.Conv2d(1, 2, 3), lib.nn.MaxPool2d(2)
    x = lib.ones(2, 1, 8, 8)
    with lib.profiler.profile() as prof:
        pool(conv(x).relu()).sum().backward()
    return prof


def elementwise(lib):
    a = lib.ones(4, 3, requires_grad=True)
    b = lib.full((4, 3), 2.0, requires_grad=True)
    with lib.profiler.profile() as prof:
        with lib.profiler.record_function("outer"):
            with lib.profiler.record_function("inner"):
                c = a * b
            d = (c + a).exp()
        d.sum().backward()
    return prof


EVAL = "autograd::engine::evaluate_function: "
PROGRAMS = {
    "mlp_step": (mlp_step, [
        "model_inference", "aten::addmm", "aten::relu", "aten::log_softmax", "aten::nll_loss",
        "Optimizer.step#SGD.step", "Optimizer.zero_grad#SGD.zero_grad", "AddmmBackward0",
        EVAL + "AddmmBackward0", "ReluBackward0", EVAL + "ReluBackward0", "NllLossBackward0",
        "LogSoftmaxBackward0", "torch::autograd::AccumulateGrad",
        EVAL + "torch::autograd::AccumulateGrad"]),
    "conv_forward": (conv_forward, [
        "aten::convolution", "aten::relu", "aten::max_pool2d_with_indices",
        "ConvolutionBackward0", "MaxPool2DWithIndicesBackward0", EVAL + "ReluBackward0",
        "SumBackward0", "torch::autograd::AccumulateGrad"]),
    "elementwise": (elementwise, [
        "outer", "inner", "aten::mul", "aten::exp", "MulBackward0", "AddBackward0",
        "ExpBackward0", EVAL + "SumBackward0", "torch::autograd::AccumulateGrad"]),
}


def _counts(prof):
    return {e.key: e.count for e in prof.key_averages()}


@pytest.mark.parametrize("name", PROGRAMS)
def test_rows_and_call_counts_match_torch_for_the_ops_both_have(name):
    program, shared = PROGRAMS[name]
    ours, theirs = _counts(program(tg)), _counts(program(torch))
    assert {n: ours.get(n) for n in shared} == {n: theirs.get(n) for n in shared}
    # every backward node evaluated here is one torch evaluates too
    assert {n for n in ours if n.startswith(EVAL)} <= set(theirs)
    assert _mode.profiler is None


def test_nesting_gives_parents_and_self_time():
    events = elementwise(tg).events()
    by_name = {e.name: e for e in reversed(events)}       # (the first of each name)
    assert by_name["inner"].cpu_parent is by_name["outer"]
    assert by_name["aten::mul"].cpu_parent is by_name["inner"]
    assert by_name["aten::exp"].cpu_parent is by_name["outer"]
    outer = by_name["outer"]
    assert outer.self_cpu_time_total == pytest.approx(
        outer.cpu_time_total - sum(c.cpu_time_total for c in outer.cpu_children))
    node = by_name["MulBackward0"]
    assert node.cpu_parent.name == EVAL + "MulBackward0"
    assert [c.name for c in node.cpu_children].count("aten::mul") == 2   # g·b and g·a
    for e in events:
        assert 0 <= e.self_cpu_time_total <= e.cpu_time_total


def test_record_shapes_and_grouping_by_input_shape():
    prof = mlp_step(tg)
    addmm = [e for e in prof.events() if e.name == "aten::addmm"]
    assert [e.input_shapes for e in addmm] == [[[8, 20], [30, 20], [30]], [[8, 30], [5, 30], [5]]]
    grouped = prof.key_averages(group_by_input_shape=True)
    assert len([a for a in grouped if a.key == "aten::addmm"]) == 2
    table = grouped.table(sort_by="cpu_time_total", row_limit=5)
    assert "Input Shapes" in table.splitlines()[1]
    assert "Input Shapes" not in prof.key_averages().table()


# ----------------------------------------------------------------------------- the table
TABLE_EVENTS = [  # id, name, start, end (µs), shapes
    (1, "model_inference", 0.0, 2918.831, []), (2, "aten::linear", 10.0, 1592.759, [[8, 20]]),
    (3, "aten::addmm", 20.0, 1451.955, [[30], [8, 20]]), (4, "aten::relu", 1600.0, 1648.212, []),
    (5, "a_name_longer_than_the_name_column_allows_" * 2, 3000.0, 1003000.0, [])]


@pytest.mark.parametrize("kwargs", [{}, {"sort_by": "cpu_time_total"},
                                    {"sort_by": "self_cpu_time_total", "row_limit": 2},
                                    {"top_level_events_only": True}, {"time_unit": "ms"},
                                    {"header": "TITLE"}])
def test_table_is_torchs_layout_and_number_format(kwargs):
    def events(module):
        out = module.EventList([module.FunctionEvent(i, n, 1, s, e, input_shapes=shapes,
                                                     stack=[])
                                for i, n, s, e, shapes in TABLE_EVENTS])
        if module is torch_util:
            out._build_tree()                 # (torch finds the parents from the times)
        else:
            for child, parent in ((1, 0), (2, 1), (3, 0)):
                out[child].cpu_parent = out[parent]
                out[parent].cpu_children.append(out[child])
        return out
    for group in (False, True):
        ours = events(tg_events).key_averages(group_by_input_shapes=group).table(**kwargs)
        theirs = events(torch_util).key_averages(group_by_input_shapes=group).table(**kwargs)
        assert ours == theirs
    assert events(tg_events).table(**kwargs) == events(torch_util).table(**kwargs)


@pytest.mark.parametrize("us", [0.0, 0.5, 48.2121, 999.9994, 1166.0, 999999.0, 2.5e6])
def test_time_format_is_torchs(us):
    assert tg_events._format_time(us) == torch_util._format_time(us)


def test_profile_memory_adds_the_memory_columns():
    with tg.profiler.profile(profile_memory=True) as prof:
        tg.ones(100, 10) * 2.0
    row = {e.key: e for e in prof.key_averages()}["aten::mul"]
    assert row.cpu_memory_usage == 100 * 10 * 4
    assert "Self CPU Mem" in prof.key_averages().table().splitlines()[1]


# ----------------------------------------------------------------------------- schedules
SCHEDULES = [dict(wait=1, warmup=1, active=2), dict(wait=1, warmup=1, active=2, repeat=2),
             dict(wait=0, warmup=2, active=1, repeat=1, skip_first=2),
             dict(wait=2, warmup=1, active=3, repeat=1, skip_first_wait=1),
             dict(wait=0, warmup=0, active=1, repeat=3)]


def run_schedule(lib, params, steps=12):
    ready = []

    def on_trace_ready(prof):
        names = [e.name for e in prof.events()]
        steps = sorted(e.trace_name for e in prof.events() if e.name == "ProfilerStep*")
        ready.append((prof.step_num, steps, names.count("aten::add")))
    x = lib.ones(2, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched = lib.profiler.schedule(**params)
        with lib.profiler.profile(schedule=sched, on_trace_ready=on_trace_ready) as prof:
            for _ in range(steps):
                x + 1
                prof.step()
    actions = [sched(i).name for i in range(steps + 2)]
    return ready, actions, sorted({str(w.message) for w in caught
                                   if "warmup" in str(w.message) or "schedule" in str(w.message)})


@pytest.mark.parametrize("params", SCHEDULES, ids=lambda p: ",".join(f"{k}={v}" for k, v in
                                                                      p.items()))
def test_schedule_steps_and_on_trace_ready_match_torch(params):
    assert run_schedule(tg, params) == run_schedule(torch, params)


def test_tensorboard_trace_handler_writes_one_file_per_trace(tmp_path):
    sched = tg.profiler.schedule(wait=0, warmup=1, active=1, repeat=2)
    handler = tg.profiler.tensorboard_trace_handler(str(tmp_path / "tb"), worker_name="w",
                                                    use_gzip=True)
    with tg.profiler.profile(schedule=sched, on_trace_ready=handler) as prof:
        for _ in range(5):
            tg.ones(2) + 1
            prof.step()
    files = sorted((tmp_path / "tb").iterdir())
    assert len(files) == 2 and all(re.fullmatch(r"w\.\d+\.pt\.trace\.json\.gz", f.name)
                                   for f in files)
    trace = json.loads(gzip.open(files[0], "rt").read())
    assert {e["name"] for e in trace["traceEvents"]} >= {"aten::add", "ProfilerStep#1"}


# ----------------------------------------------------------------------------- trace, API
def test_chrome_trace_is_valid_and_nested(tmp_path):
    prof = elementwise(tg)
    prof.export_chrome_trace(str(tmp_path / "trace.json"))
    trace = json.loads((tmp_path / "trace.json").read_text())
    spans = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert len(spans) == len(prof.events())
    for e in spans:
        assert {"name", "cat", "pid", "tid", "ts", "dur"} <= set(e)
        assert isinstance(e["ts"], float) and e["dur"] >= 0
    outer = next(e for e in spans if e["name"] == "outer")
    mul = next(e for e in spans if e["name"] == "aten::mul")
    assert outer["ts"] <= mul["ts"] and mul["ts"] + mul["dur"] <= outer["ts"] + outer["dur"]
    assert outer["cat"] == "user_annotation" and mul["cat"] == "cpu_op"


def test_record_function_decorates_and_costs_nothing_outside_a_profile():
    @tg.profiler.record_function("loss_fn")
    def loss_fn(x):
        return (x * x).sum()
    loss_fn(tg.ones(3))                            # no profiler: nothing recorded, no error
    with tg.profiler.profile() as prof:
        loss_fn(tg.ones(3))
        loss_fn(tg.ones(3))
    counts = _counts(prof)
    assert counts["loss_fn"] == 2 and counts["aten::mul"] == 2
    assert all(e.cpu_parent.name == "loss_fn" for e in prof.events() if e.name == "aten::sum")


def test_custom_function_is_a_range_of_its_class_name():
    class Square(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            return 2 * ctx.saved_tensors[0] * g
    x = tg.ones(3, requires_grad=True)
    with tg.profiler.profile() as prof:
        Square.apply(x).sum().backward()
    by_name = {e.name: e for e in reversed(prof.events())}
    assert by_name["aten::mul"].cpu_parent is by_name["Square"]
    assert EVAL + "SquareBackward" in by_name


def test_legacy_autograd_profiler_and_the_flag_after_an_error():
    with tg.autograd.profiler.profile(record_shapes=True) as prof:
        tg.ones(2, 3).exp()
    assert [e.name for e in prof.function_events] == ["aten::exp"]
    assert "Self CPU time total" in prof.table() and prof.self_cpu_time_total >= 0
    with pytest.raises(ZeroDivisionError):
        with tg.profiler.profile():
            1 / 0
    assert _mode.profiler is None
    with tg.profiler.profile():
        with pytest.raises(RuntimeError, match="already enabled"):
            with tg.profiler.profile():
                pass


def test_op_names_follow_torchs_node_names():
    assert recording.aten_name("AddmmBackward0") == "aten::addmm"
    assert recording.aten_name("MaxPool2DWithIndicesBackward0") == \
        "aten::max_pool2d_with_indices"
    assert recording.aten_name("NllLossBackward0") == "aten::nll_loss"
    assert recording.aten_name("ToCopyBackward0") == "aten::_to_copy"
    x = tg.ones(3, 4, requires_grad=True)
    with tg.profiler.profile() as prof:
        x.mean()                     # a sum divided by a count, named as torch names the node
    assert "aten::mean" in _counts(prof)


def test_a_torch_program_profiles_unchanged(tmp_path, capsys):
    from tinygrad_sgd import as_torch
    script = tmp_path / "prof.py"
    script.write_text(
        "import torch\nfrom torch.profiler import profile, record_function, ProfilerActivity\n"
        "from torch.autograd.profiler import record_function as rf\n"
        "x = torch.ones(4, 4, requires_grad=True)\n"
        "with profile(activities=[ProfilerActivity.CPU]) as prof:\n"
        "    with rf('step'):\n        (x @ x).sum().backward()\n"
        "print(prof.key_averages().table(sort_by='cpu_time_total', row_limit=20))\n")
    as_torch.run_script(str(script))
    out = capsys.readouterr().out
    for name in ("step", "aten::mm", "MmBackward0", "Self CPU time total:"):
        assert name in out


def test_no_profiler_means_one_flag_check():
    assert _mode.profiler is None
    a = tg.tensor(np.ones((2, 2), np.float32))
    assert isinstance(a + a, tg.Tensor)
