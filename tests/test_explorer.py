"""tinygrad_sgd.viz.explore: the recorded steps against the engine and autograd (in Python), and
the page in a real browser (Debian's chromium driven by playwright): the highlighted node at
every backward step is the engine's, the gradients it displays are autograd's, a leaf's .grad
accumulates, clicking a node shows its numbers, no network request, no JavaScript error.

Screenshots of the pages go to $TINYGRAD_SGD_SCREENSHOTS when it is set (the PNGs kept in
tests/artifacts/ were made this way), else to a temporary folder."""
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from tinygrad_sgd import Tensor, autograd, tensor
from tinygrad_sgd.viz import EXAMPLES, explore
from tinygrad_sgd.viz.formatting import format_array, format_number
from tinygrad_sgd.viz.tutorial_graphs import neuron, simple_cnn_batch

CHROMIUM = "/usr/bin/chromium"
SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
if not (SHARED_DATA / "mnist").is_dir():
    SHARED_DATA = Path("/work/shared/data")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (CI installs it)")


# ============================================================================ helpers
NEURON_ORDER = ["x1*w1", "x2*w2", "x1*w1 + x2*w2", "n", "o"]   # as neuron() creates them


def engine_order(build):
    """The operations in the order the engine runs backward, as positions in creation order,
    from a graph built afresh and an observer of our own."""
    loss, names = build()
    created = [names[k].grad_fn for k in NEURON_ORDER]
    seen = []
    (seed,) = autograd.make_grads([loss], [None])
    autograd.run_backward([loss], [seed], False, False,
                          observer=lambda node, g, grads: seen.append(node))
    return [created.index(node) for node in seen]


def twice_used():
    """x feeds three uses (x·x and + x): its .grad accumulates over several steps."""
    x = tensor(np.array([1.5, -2.0], dtype=np.float32), requires_grad=True)
    w = tensor(np.array([0.5, 3.0], dtype=np.float32), requires_grad=True)
    sq = x * x
    y = sq + x
    loss = (y * w).sum()
    return loss, {"x": x, "w": w, "x·x": sq, "y": y, "loss": loss}


def created_out_of_walk_order():
    """b is computed before a, but a is the sum's left argument: a walk of the graph (arguments
    left to right) meets a first; the engine created b first."""
    x = tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    w = tensor(np.array([3.0, -1.0], dtype=np.float32), requires_grad=True)
    b = w * w
    a = x.exp()
    s = a + b
    loss = s.sum()
    return loss, {"x": x, "w": w, "a": a, "b": b, "s": s, "loss": loss}


CREATED = ["w", "b", "x", "a", "s", "loss"]   # each leaf just before the op that first uses it


# ============================================================================ in Python
def test_ids_follow_the_engines_creation_order_not_the_walk():
    loss, names = created_out_of_walk_order()
    walk = [op.label() for op in _walk(loss)]
    assert walk == ["exp", "mul", "add", "sum"]                  # what reading the graph gives
    page = explore(loss, params=names)
    assert [n.name for n in page.nodes] == CREATED
    assert [n.id for n in page.nodes] == list(range(6))
    ops = [n.op for n in page.nodes if n.kind == "operation"]
    assert [op.label() for op in ops] == ["mul", "exp", "add", "sum"]
    assert [op.sequence_nr for op in ops] == sorted(op.sequence_nr for op in ops)
    forward = [s.active for s in page.steps if s.phase == "forward"][1:]
    assert forward == [CREATED.index(k) for k in ("b", "a", "s", "loss")]   # the same order
    assert page.value_step(CREATED.index("b")) == 1 and page.value_step(0) == 0


def _walk(loss):
    from tinygrad_sgd.viz.view import _forward_order
    return _forward_order([loss.grad_fn])


def test_nodes_are_numbered_in_creation_order_with_names_and_shapes():
    loss, names = neuron()
    page = explore(loss, params=names)
    ops = [n for n in page.nodes if n.kind == "operation"]
    assert [n.op for n in ops] == [names[k].grad_fn for k in NEURON_ORDER]
    assert [n.name for n in ops] == NEURON_ORDER
    assert [n.id for n in page.nodes] == list(range(len(page.nodes)))
    leaves = {n.name: n for n in page.nodes if n.kind == "parameter"}
    assert set(leaves) == {"x1", "w1", "x2", "w2", "b"}
    assert leaves["x1"].id < ops[0].id and leaves["b"].id < ops[3].id   # before first use
    assert all(n.shape == () and n.dtype == "float32" for n in page.nodes)
    assert page.node_of(names["n"]).name == "n" and page.node_of(names["b"]).name == "b"
    assert len(page.steps) == 1 + 5 + 5 and page.forward_steps == page.backward_steps == 5


def test_steps_follow_the_engine_and_numbers_are_autograds():
    loss, names = neuron()
    page = explore(loss, params=names)
    ops = [n for n in page.nodes if n.kind == "operation"]
    forward = [s for s in page.steps if s.phase == "forward"][1:]
    assert [s.active for s in forward] == [n.id for n in ops]
    backward = [s for s in page.steps if s.phase == "backward"]
    assert [ops.index(page.nodes[s.active]) for s in backward] == engine_order(neuron)
    plain, plain_names = neuron()
    plain.backward()
    for key, t in plain_names.items():                    # every node, leaves and results
        node = page.node_of(names[key])
        assert np.array_equal(page.grad(node.id), t.grad.array), key
        assert np.array_equal(page.value(node.id), t.array), key
        assert np.array_equal(names[key].grad.array, t.grad.array), key  # .grad as backward


def test_a_leafs_grad_accumulates_step_by_step():
    loss, names = twice_used()
    page = explore(loss, params=names)
    x = page.node_of(names["x"])
    events = page.grad_events(x.id)
    assert len(events) == 3                               # one from + x, two from x·x
    assert [at for at, _, _ in events] == sorted(at for at, _, _ in events)
    first, last = events[0][0], events[-1][0]
    assert page.grad(x.id, first - 1) is None
    assert np.array_equal(page.grad(x.id, first), events[0][2])       # the first part alone
    assert np.array_equal(page.grad(x.id, last - 1), events[0][1])
    assert np.array_equal(page.grad(x.id), names["x"].grad.array)     # what backward stored
    assert np.array_equal(events[-1][1], events[0][2] + events[1][2] + events[2][2])
    xv, wv = np.array([1.5, -2.0]), np.array([0.5, 3.0])
    np.testing.assert_allclose(names["x"].grad.array, wv * (2 * xv + 1), rtol=1e-6)


def test_a_grad_from_before_is_where_accumulation_starts():
    loss, names = twice_used()
    names["w"].grad = tensor(np.array([10.0, 20.0], dtype=np.float32))
    page = explore(loss, params=names)
    events = page.grad_events(page.node_of(names["w"]).id)
    assert events[0][0] == 0 and events[0][2] is None
    assert np.array_equal(events[0][1], [10.0, 20.0])
    assert np.array_equal(events[-1][1], names["w"].grad.array)


def test_values_are_a_snapshot():
    loss, names = twice_used()
    page = explore(loss, params=names)
    w = page.node_of(names["w"]).id
    names["w"].array[...] = 0.0                           # an optimizer step, say
    assert np.array_equal(page.value(w), [0.5, 3.0])


def test_what_explore_refuses():
    with pytest.raises(TypeError, match="explore: expected a Tensor, got ndarray"):
        explore(np.ones(3))
    with pytest.raises(ValueError, match="it is a leaf"):
        explore(Tensor([1.0], requires_grad=True))
    loss, names = neuron()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"already ran through this graph.*call it instead "
                                           r"of loss.backward\(\)"):
        explore(loss, params=names)


def test_without_dot_the_page_says_how_to_install_graphviz(tmp_path, monkeypatch):
    from tinygrad_sgd.viz import GraphvizNotFound
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    loss, names = neuron()
    with pytest.raises(GraphvizNotFound, match="write the explorer's page 'n.html'"):
        explore(loss, tmp_path / "n.html", params=names)
    assert names["w1"].grad is None and not (tmp_path / "n.html").exists()  # refused first
    page = explore(loss, params=names)                    # the record needs no Graphviz
    assert page.backward_steps == 5 and names["w1"].grad is not None
    assert "apt-get install graphviz" in page._repr_html_()
    with pytest.raises(GraphvizNotFound, match="build the explorer's page"):
        page.save(tmp_path / "n.html")


@needs_dot
def test_the_page_is_one_self_contained_file(tmp_path):
    loss, names = neuron()
    page = explore(loss, tmp_path / "sub" / "neuron.html", params=names, title="A <neuron>")
    text = (tmp_path / "sub" / "neuron.html").read_text(encoding="utf-8")
    assert text == page.html() and text.startswith("<!DOCTYPE html>")
    assert "<title>A &lt;neuron&gt;</title>" in text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "<link" not in text and "<script src" not in text and "@import" not in text
    assert text.count('data-node="') >= 2 * len(page.nodes) - 5   # op + output, leaves
    for node in page.nodes:
        assert f'data-node="{node.id}"' in text, node
    legend = text[text.index(">legend<"):]                # the colours in this picture only,
    assert "parameter (leaf" in legend and "input / constant" not in legend
    assert "operation at this step" in legend and "arrived at this step" in legend  # + the page's
    frame = page._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "tgExplorer" in frame and "&lt;svg" in frame


@needs_dot
def test_large_graphs_are_collapsed_with_a_note():
    x = tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = x
    for _ in range(150):
        y = y * 0.99 + 0.01
    page = explore(y.sum(), params={"x": x})
    assert len(page.steps) == 1 + 2 * 301
    text = page.html()
    assert "Collapsed repeated structure" in text and "(mul → add) × 149" in text
    assert len(text) < 1_500_000


# ============================================================================ in the browser
def _browser_reason():
    if not os.path.exists(CHROMIUM):
        return f"Debian's chromium is not installed at {CHROMIUM} (CI installs it)"
    try:
        import playwright.sync_api  # noqa: F401  (is it installed?)
    except ImportError:
        return "the playwright package is not installed (pip install playwright; CI does)"
    if shutil.which("dot") is None:
        return "Graphviz's dot is not installed (CI installs it)"
    return None


pytestmark_browser = pytest.mark.skipif(_browser_reason() is not None,
                                        reason=str(_browser_reason()))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


class Page:
    """A page opened in the browser, with every console error and every request recorded."""

    def __init__(self, browser, path):
        self.page = browser.new_page(viewport={"width": 1280, "height": 800})
        self.errors, self.requests = [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        start = time.perf_counter()
        self.page.goto(Path(path).resolve().as_uri())
        self.page.wait_for_function("window.tgExplorer !== undefined")
        self.open_s = time.perf_counter() - start
        self.url = Path(path).resolve().as_uri()

    def state(self):
        return self.page.evaluate("tgExplorer.state()")

    def active(self):
        return {g.get_attribute("data-node") for g in self.page.query_selector_all("g.active")}

    def text(self, selector):
        return self.page.inner_text(selector)

    def shot(self, name, tmp_path):
        folder = Path(os.environ.get("TINYGRAD_SGD_SCREENSHOTS", tmp_path))
        folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(folder / name))
        return folder / name

    def close(self):
        assert self.errors == [], self.errors
        assert [u for u in self.requests if u != self.url] == [], self.requests
        self.page.close()


@pytestmark_browser
def test_browser_steps_through_the_neuron_as_the_engine_does(browser, tmp_path):
    loss, names = neuron()
    page = explore(loss, tmp_path / "neuron.html", params=names)
    plain, plain_names = neuron()
    plain.backward()
    ops = [n for n in page.nodes if n.kind == "operation"]
    order = engine_order(neuron)
    p = Page(browser, tmp_path / "neuron.html")
    assert p.page.evaluate("tgExplorer.steps") == 11
    assert p.state() == {"phase": "forward", "step": 0, "active": None, "values": {
        str(page.node_of(names[k]).id): [float(names[k].array)] for k in
        ("x1", "w1", "x2", "w2", "b")}, "grads": {}}
    for _ in range(5):                                    # forward: values appear in order
        p.page.click("#tg-next")
    assert p.state()["values"][str(page.node_of(names["o"]).id)] == [float(plain.array)]
    for k in range(1, 6):                                 # backward: press ▶, step k
        p.page.click("#tg-next")
        state = p.state()
        node = ops[order[k - 1]]
        assert state["phase"] == "backward" and state["step"] == 5 + k
        assert state["active"] == node.id and p.active() == {str(node.id)}
        grad = plain_names[node.name].grad.array
        assert state["grads"][str(node.id)] == [float(grad)]          # exactly autograd's
        assert p.text(f"[data-incoming='{node.id}'] pre") == format_array(grad, 64)
        for inp in p.page.query_selector_all("#tg-step-body [data-sent-to]"):
            to = page.nodes[int(inp.get_attribute("data-sent-to"))]
            sent = inp.query_selector("[data-field=sent] pre").inner_text()
            expected = plain_names[to.name].grad.array   # each of these is used once
            assert sent == format_array(expected, 64), to.name
            assert state["grads"][str(to.id)] == [float(expected)]
        if k == 3:
            p.shot("explorer_neuron_backward.png", tmp_path)
    grads = p.state()["grads"]
    for key, t in plain_names.items():
        assert grads[str(page.node_of(names[key]).id)] == [float(t.grad.array)], key
    p.page.click(f"g.tg-tensor[data-node='{page.node_of(names['w1']).id}']")   # a leaf
    assert p.text("#tg-details [data-field=grad] pre") == format_array(
        plain_names["w1"].grad.array, 64) == "1.0000"
    assert ".grad" in p.text("#tg-details")
    p.close()


FIRST_TEXT = "g => g.querySelector('text').textContent.trim()"   # a node's name or op label


@pytestmark_browser
def test_browser_ids_are_the_creation_order(browser, tmp_path):
    loss, names = created_out_of_walk_order()
    page = explore(loss, tmp_path / "order.html", params=names)
    p = Page(browser, tmp_path / "order.html")
    for i, name in enumerate(CREATED):                   # every SVG group carries its id
        assert p.page.eval_on_selector(f"g.tg-tensor[data-node='{i}']", FIRST_TEXT) == name
    ops = {int(g.get_attribute("data-node")): g.evaluate(FIRST_TEXT)
           for g in p.page.query_selector_all("g.tg-op")}
    assert ops == {1: "mul", 3: "exp", 4: "add", 5: "sum"}
    seen = []
    for step in range(1, 5):                             # forward: values in creation order
        p.page.click("#tg-next")
        state = p.state()
        seen.append(state["active"])
        assert p.active() == {str(state["active"])}
        assert state["values"][str(state["active"])] == [
            float(v) for v in np.ravel(names[CREATED[state["active"]]].array)]
    assert seen == [1, 3, 4, 5]
    p.page.evaluate("tgExplorer.goTo(tgExplorer.steps - 1)")
    grads = p.state()["grads"]
    assert grads["0"] == [float(v) for v in names["w"].grad.array]      # w, id 0: 2w
    assert grads["2"] == [float(v) for v in names["x"].grad.array]      # x, id 2: e^x
    p.close()


@pytestmark_browser
def test_browser_shows_a_leaf_grad_accumulating_and_the_controls(browser, tmp_path):
    loss, names = twice_used()
    page = explore(loss, tmp_path / "twice.html", params=names)
    x = page.node_of(names["x"])
    events = page.grad_events(x.id)
    p = Page(browser, tmp_path / "twice.html")
    p.page.click(f"g.tg-tensor[data-node='{x.id}']")      # details follow the steps
    for at in sorted({at for at, _, _ in events}):
        total = [t for a, t, _ in events if a <= at][-1]  # the page shows the step's last sum
        p.page.evaluate(f"tgExplorer.goTo({at})")
        shown = p.state()["grads"][str(x.id)]
        assert shown == [float(v) for v in total]
        assert p.text("#tg-details [data-field=grad] pre") == format_array(total, 64)
        arrived = sum(a <= at for a, _, _ in events)
        note = p.text(f"[data-accumulated='{x.id}']")
        assert f"({arrived} of {len(events)} contributions so far)" in note
    p.page.evaluate(f"tgExplorer.goTo({events[0][0] - 1})")
    assert str(x.id) not in p.state()["grads"]           # not arrived yet
    assert p.text("#tg-details").count("none yet") == 1
    p.page.keyboard.press("Home")
    assert p.state()["step"] == 0
    p.page.keyboard.press("ArrowRight")
    p.page.keyboard.press("ArrowRight")
    assert p.state()["step"] == 2
    p.page.keyboard.press("ArrowLeft")
    assert p.state()["step"] == 1
    p.page.keyboard.press("End")
    assert p.state()["step"] == len(page.steps) - 1
    p.page.click("#tg-first")
    p.page.select_option("#tg-speed", "4")
    p.page.click("#tg-play")                             # plays at 4 steps a second
    p.page.wait_for_function("tgExplorer.state().step >= 2", timeout=5000)
    p.page.click("#tg-play")                             # pause
    paused = p.state()["step"]
    p.page.wait_for_timeout(600)
    assert p.state()["step"] == paused
    p.page.fill("#tg-slider", "3")                       # the slider
    assert p.state()["step"] == 3
    p.page.click("#tg-header")                           # focus off the controls
    p.page.keyboard.press(" ")                           # space plays ...
    p.page.wait_for_function("tgExplorer.state().step >= 4", timeout=5000)
    p.page.keyboard.press(" ")                           # ... and pauses
    paused = p.state()["step"]
    p.page.wait_for_timeout(600)
    assert p.state()["step"] == paused
    p.page.evaluate("tgExplorer.goTo(3)")
    assert p.page.evaluate("tgExplorer.prev()") == 2 and p.page.evaluate("tgExplorer.next()") == 3
    p.close()


@pytestmark_browser
def test_browser_tutorial_cnn_page_is_small_fast_and_shows_feature_maps(browser, tmp_path,
                                                                         monkeypatch):
    if (SHARED_DATA / "mnist").is_dir():
        monkeypatch.setenv("TINYGRAD_SGD_DATA", str(SHARED_DATA))
    loss, names, note = simple_cnn_batch(64)
    page = explore(loss, tmp_path / "cnn.html", params=names, title=f"Tutorial CNN: {note}")
    size = (tmp_path / "cnn.html").stat().st_size
    assert size < 5_000_000, size
    p = Page(browser, tmp_path / "cnn.html")
    opened = [p.open_s]
    p.page.reload()
    p.page.wait_for_function("window.tgExplorer !== undefined")
    opened.append(p.page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
                  / 1000)
    assert min(opened) < 2.0, opened
    conv1 = page.node_of(names["conv1"])
    assert conv1.shape == (64, 10, 24, 24) and conv1.label.startswith("conv2d")
    p.page.evaluate(f"tgExplorer.goTo({page.value_step(conv1.id)})")
    p.shot("explorer_cnn_forward.png", tmp_path)
    step = [s.index for s in page.steps if s.phase == "backward" and s.active == conv1.id][0]
    p.page.evaluate(f"tgExplorer.goTo({step})")
    assert p.state()["active"] == conv1.id
    p.page.click(f"g.tg-tensor[data-node='{conv1.id}']")
    assert p.page.eval_on_selector_all("#tg-details [data-maps=data] canvas", "c => c.length") \
        == 10                                            # conv1's 10 maps of one digit
    assert p.page.eval_on_selector_all("#tg-details [data-maps=grad] canvas", "c => c.length") \
        == 10                                            # and their gradients
    stats = p.text("#tg-details [data-field=grad] .tg-stats")
    assert f"mean {format_number(page.grad(conv1.id).astype(np.float64).ravel().mean())}" in stats
    p.page.eval_on_selector("#tg-details", "e => e.scrollIntoView()")
    p.shot("explorer_cnn_backward_conv1.png", tmp_path)
    weight = page.node_of(names["conv1.weight"])
    p.page.click(f"g.tg-tensor[data-node='{weight.id}']")
    stats = p.text("#tg-details [data-field=grad] .tg-stats")
    final = names["conv1.weight"].grad.array.astype(np.float64).ravel()
    assert f"mean {format_number(final.mean())}" in stats
    assert f"max {format_number(final.max())}" in stats
    p.close()


@pytestmark_browser
def test_browser_steps_through_the_gpt_example(browser, tmp_path):
    from tinygrad_sgd.viz.tutorial_graphs import gpt
    loss, names = gpt()
    page = explore(loss, tmp_path / "gpt.html", params=names, title="A one-layer GPT")
    p = Page(browser, tmp_path / "gpt.html")
    assert p.page.evaluate("tgExplorer.steps") == len(page.steps)
    attention = [n for n in page.nodes if n.label == "softmax"][0]
    step = [s.index for s in page.steps if s.phase == "backward" and s.active == attention.id]
    p.page.evaluate(f"tgExplorer.goTo({step[0]})")
    assert p.state()["active"] == attention.id and p.active() == {str(attention.id)}
    p.shot("explorer_gpt_backward_softmax.png", tmp_path)
    p.page.evaluate("tgExplorer.goTo(tgExplorer.steps - 1)")
    grads = p.state()["grads"]
    for key in ("transformer.h.0.attn.c_attn.bias", "transformer.ln_f.weight"):
        assert grads[str(page.node_of(names[key]).id)] == names[key].grad.tolist(), key
    p.close()


@pytestmark_browser
def test_browser_jupyter_frame_runs_the_same_page(browser, tmp_path):
    loss, names = EXAMPLES["expression"]()
    page = explore(loss, params=names)
    (tmp_path / "notebook.html").write_text(f"<html><body>{page._repr_html_()}</body></html>",
                                            encoding="utf-8")
    tab = browser.new_page()
    errors = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto((tmp_path / "notebook.html").as_uri())
    frame = tab.frames[1]
    frame.wait_for_function("window.tgExplorer !== undefined")
    frame.evaluate("tgExplorer.goTo(tgExplorer.steps - 1)")
    grads = frame.evaluate("tgExplorer.state().grads")
    assert grads[str(page.node_of(names["a"]).id)] == [6.0]
    assert errors == []
    tab.close()
