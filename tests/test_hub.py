"""``tinygrad_sgd.hub`` against ``torch.hub``: each behaviour is run on both, each library with
its own hub dir under ``tmp_path`` (``set_dir``), and what they return, print, warn, raise,
ask, write to ``trusted_list`` and leave in the hub dir must be the same (the hub dir's path
written as ``<hub>``).

Nothing reaches the network: ``urlopen`` is replaced, in both modules, by :class:`FakeNet`,
which serves a few GitHub URLs from local files (the API's branch lists, a repository's zip)
and raises ``URLError`` for any other, as urllib does offline; ``file://`` URLs are read as
they are. The hubconf.py files ``import torch``: torch's gets torch, the library's gets the
library (outside the runner too), and the models built must have the same weights.
"""
import builtins
import contextlib
import inspect
import io
import json
import os
import runpy
import sys
import textwrap
import urllib.request
import warnings
import zipfile
from pathlib import Path
from urllib.error import HTTPError, URLError

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd import as_torch
from tinygrad_sgd import hub as ours
from tinygrad_sgd._torch_shim import torch_modules

torch = pytest.importorskip("torch")
import torch.hub as theirs  # noqa: E402

LIBS = {"ours": ours, "torch": theirs}
REAL_URLOPEN = urllib.request.urlopen

HUBCONF = '''
import torch
from torch.nn import Linear
dependencies = ["torch", "numpy"]
CONSTANT = 3


def tiny(n_in=3, n_out=2, bias=True):
    """A tiny linear model: n_in -> n_out."""
    torch.manual_seed(0)
    return torch.nn.Linear(n_in, n_out, bias=bias)


def _helper():
    return None
'''


def write_repo(folder, hubconf=HUBCONF):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hubconf.py").write_text(textwrap.dedent(hubconf))
    return folder


@pytest.fixture
def hubs(tmp_path, monkeypatch):
    """Each library's hub dir (``<tmp>/ours/hub``, ``<tmp>/torch/hub``), set by ``set_dir``
    and reset afterwards; urlopen offline in both."""
    dirs = {}
    for name, module in LIBS.items():
        monkeypatch.setattr(module, "_hub_dir", None)
        module.set_dir(tmp_path / name / "hub")
        dirs[name] = Path(module.get_dir())
        monkeypatch.setattr(module, "urlopen", FakeNet())
    return dirs


class FakeNet:
    """``urlopen`` offline: a URL of ``routes`` is served from the local file it names (an int:
    raises HTTPError with that code), a ``file://`` URL is read, any other raises URLError;
    every URL asked for is recorded in ``asked``."""

    def __init__(self, routes=None):
        self.routes, self.asked, self.headers = dict(routes or {}), [], []

    def __call__(self, url, *args, **kwargs):
        full = url.full_url if isinstance(url, urllib.request.Request) else url
        if full.startswith("file:"):
            return REAL_URLOPEN(url)
        self.asked.append(full)
        self.headers.append(dict(url.header_items()) if isinstance(url, urllib.request.Request)
                            else None)
        route = self.routes.get(full)
        if route is None:
            raise URLError("[Errno -3] Temporary failure in name resolution (offline test)")
        if isinstance(route, int):
            raise HTTPError(full, route, "test", {}, None)
        return REAL_URLOPEN(Path(route).as_uri())


def outcome(do, lib):
    """What ``do(lib)`` gives: ("ok", value) or (exception class name, message); helper
    modules a hubconf imported are forgotten (each library imports its own)."""
    try:
        return "ok", do(lib)
    except Exception as e:                                              # noqa: BLE001
        return type(e).__name__, str(e)
    finally:
        sys.modules.pop("hub_helper", None)


def summary(value):
    """A model as (class name, state dict as arrays); other values as they are."""
    if hasattr(value, "state_dict"):
        return type(value).__name__, {k: v.detach().numpy() for k, v in
                                      value.state_dict().items()}
    if isinstance(value, dict):
        return {k: v.detach().numpy() if hasattr(v, "detach") else v for k, v in value.items()}
    return value


def assert_same(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), (a, b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b


# ------------------------------------------------------------------ names and signatures
CONSTANTS = ["ENV_GITHUB_TOKEN", "ENV_TORCH_HOME", "ENV_XDG_CACHE_HOME", "DEFAULT_CACHE_DIR",
             "VAR_DEPENDENCY", "MODULE_HUBCONF", "READ_DATA_CHUNK", "_TRUSTED_REPO_OWNERS"]


def test_all_is_torchs():
    assert ours.__all__ == theirs.__all__


@pytest.mark.parametrize("name", theirs.__all__ + ["_get_torch_home"])
def test_signature_is_torchs(name):
    def shape(fn):
        return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]
    assert shape(getattr(ours, name)) == shape(getattr(theirs, name))


@pytest.mark.parametrize("name", CONSTANTS)
def test_constant_is_torchs(name):
    assert getattr(ours, name) == getattr(theirs, name)


@pytest.mark.parametrize("filename,match", [("resnet18-bfd8deac.pth", "bfd8deac"),
                                            ("weights.pth", None), ("a-b-0f.tar.gz", "0f")])
def test_hash_regex_is_torchs(filename, match):
    assert ours.HASH_REGEX.pattern == theirs.HASH_REGEX.pattern
    found = ours.HASH_REGEX.search(filename)
    assert (found and found.group(1)) == (match and theirs.HASH_REGEX.search(filename).group(1))


def test_tqdm_is_torchs_and_the_fallback_counts(capsys):
    assert ours.tqdm is theirs.tqdm
    with ours._Faketqdm(total=4) as bar:
        bar.update(1)
        bar.write("note")
    with theirs._Faketqdm(total=4) as bar:
        bar.update(1)
        bar.write("note")
    err = capsys.readouterr().err
    assert err == "\r25.0%note\n\n" * 2


def test_importing_the_hub_imports_neither_tqdm_nor_torch():
    import subprocess
    code = ("import sys, tinygrad_sgd.hub, tinygrad_sgd.utils.model_zoo; "
            "print('tqdm' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    assert out.split() == ["False", "False"]


def test_torch_hub_names_under_the_runner():
    with torch_modules():
        import torch as t
        from torch.hub import (HASH_REGEX, download_url_to_file, get_dir,
                               load_state_dict_from_url, tqdm)
        assert t.hub.load is ours.load and get_dir is ours.get_dir and tqdm is ours.tqdm
        assert HASH_REGEX is ours.HASH_REGEX and download_url_to_file is \
            ours.download_url_to_file and load_state_dict_from_url is \
            ours.load_state_dict_from_url
        assert t.hub._get_torch_home() == theirs._get_torch_home()
        assert t.hub.ENV_TORCH_HOME == "TORCH_HOME"


# ------------------------------------------------------------------ get_dir, set_dir
GET_DIR_CASES = [
    ("TORCH_HOME", {"TORCH_HOME": "{tmp}/th"}, None),
    ("TORCH_HOME-tilde", {"TORCH_HOME": "~/th"}, None),
    ("XDG_CACHE_HOME", {"XDG_CACHE_HOME": "{tmp}/xdg"}, None),
    ("both", {"TORCH_HOME": "{tmp}/th", "XDG_CACHE_HOME": "{tmp}/xdg"}, None),
    ("default", {}, None),
    ("set_dir", {"TORCH_HOME": "{tmp}/th"}, "{tmp}/chosen"),
    ("set_dir-tilde", {}, "~/chosen"),
    ("TORCH_HUB-deprecated", {"TORCH_HUB": "{tmp}/old"}, None),
]


@pytest.mark.parametrize("env,set_to", [c[1:] for c in GET_DIR_CASES],
                         ids=[c[0] for c in GET_DIR_CASES])
def test_get_dir_is_torchs(env, set_to, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for var in ("TORCH_HOME", "XDG_CACHE_HOME", "TORCH_HUB"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value.format(tmp=tmp_path))
    got = {}
    for name, module in LIBS.items():
        monkeypatch.setattr(module, "_hub_dir", None)
        if set_to is not None:
            module.set_dir(set_to.format(tmp=tmp_path))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got[name] = module.get_dir(), [(w.category, str(w.message)) for w in caught]
    assert got["ours"] == got["torch"]
    assert "~" not in got["ours"][0]


# ------------------------------------------------------------------ hubconf.py, source="local"
BROKEN_HUBCONF = {
    "missing-dependency": HUBCONF.replace('"numpy"]', '"numpy", "not_a_module_xyz", "nor_me"]'),
    "missing-torch-module": HUBCONF.replace('"numpy"]', '"numpy", "torchvision.models"]'),
    "uses-helper": "from hub_helper import build\ndef tiny(n_in=3, n_out=2):\n"
                   "    return build(n_in, n_out)\n",
}
LOCAL_CASES = [
    ("default-args", HUBCONF, ("tiny",), {}),
    ("args-and-kwargs", HUBCONF, ("tiny", 4), {"n_out": 5, "bias": False}),
    ("source-upper-case", HUBCONF, ("tiny",), {"source": "LOCAL"}),
    ("no-such-entrypoint", HUBCONF, ("huge",), {}),
    ("entrypoint-not-callable", HUBCONF, ("CONSTANT",), {}),
    ("dependencies-not-callable", HUBCONF, ("dependencies",), {}),
    ("model-not-a-string", HUBCONF, (3,), {}),
    ("unknown-source", HUBCONF, ("tiny",), {"source": "svn"}),
    ("missing-dependency", BROKEN_HUBCONF["missing-dependency"], ("tiny",), {}),
    ("helper-module-beside-hubconf", BROKEN_HUBCONF["uses-helper"], ("tiny",), {}),
    ("kwargs-the-entrypoint-refuses", HUBCONF, ("tiny",), {"colour": "red"}),
]


@pytest.mark.parametrize("hubconf,args,kwargs", [c[1:] for c in LOCAL_CASES],
                         ids=[c[0] for c in LOCAL_CASES])
def test_load_local_is_torchs(hubconf, args, kwargs, tmp_path):
    repo = write_repo(tmp_path / "repo", hubconf)
    (repo / "hub_helper.py").write_text(
        "import torch\ndef build(n_in, n_out):\n    torch.manual_seed(1)\n"
        "    return torch.nn.Sequential(torch.nn.Linear(n_in, n_out), torch.nn.ReLU())\n")
    path = sys.path[:]
    kwargs = {"source": "local", **kwargs}
    got = {name: outcome(lambda m: summary(m.load(str(repo), *args, **kwargs)), module)
           for name, module in LIBS.items()}
    assert got["ours"][0] == got["torch"][0], got
    if got["torch"][0] == "ok":
        assert_same(got["ours"][1], got["torch"][1])
    else:
        assert got["ours"][1] == got["torch"][1]
    assert sys.path == path


def test_missing_torch_module_dependency(tmp_path):
    """A dependency that is a torch module the library lacks is missing, as torch's missing
    packages are (torch itself may have it: only the library's answer is checked)."""
    repo = write_repo(tmp_path / "repo", BROKEN_HUBCONF["missing-torch-module"])
    with pytest.raises(RuntimeError, match="^Missing dependencies: torchvision.models$"):
        ours.load(str(repo), "tiny", source="local")


def test_hubconf_gets_the_library_and_real_torch_comes_back(tmp_path):
    repo = write_repo(tmp_path / "repo", HUBCONF + "\ndef which():\n    return torch.tensor\n")
    assert ours.load(str(repo), "which", source="local") is tg.tensor
    assert sys.modules["torch"] is torch
    assert theirs.load(str(repo), "which", source="local") is torch.tensor


def test_load_under_the_runner_is_torchs(tmp_path, capsys):
    """A torch program calling torch.hub: run by ``tinygrad-sgd run`` and by torch, the same
    lines."""
    repo = write_repo(tmp_path / "repo")
    weights = tmp_path / "weights.pth"
    torch.manual_seed(3)
    torch.save(torch.nn.Linear(3, 2).state_dict(), weights)
    program = tmp_path / "prog.py"
    program.write_text(textwrap.dedent(f"""
        import sys
        import torch
        from torch.hub import load_state_dict_from_url
        torch.hub.set_dir(sys.argv[1])
        model = torch.hub.load({str(repo)!r}, "tiny", source="local")
        print(type(model).__name__, model.weight.sum().item())
        print(torch.hub.help("me/repo:v1", "tiny", trust_repo=True))
        state = load_state_dict_from_url({weights.as_uri()!r}, progress=False)
        model.load_state_dict(state)
        print(sorted(state), model(torch.ones(1, 3)).tolist())
    """))
    printed = {}
    for name, module in LIBS.items():
        hub_dir = tmp_path / name
        write_repo(hub_dir / "me_repo_v1")
        saved = module._hub_dir
        try:
            if name == "ours":
                as_torch.run_script(str(program), [str(hub_dir)])
            else:
                argv = sys.argv[:]
                sys.argv[:] = [str(program), str(hub_dir)]
                try:
                    runpy.run_path(str(program), run_name="__main__")
                finally:
                    sys.argv[:] = argv
        finally:
            module._hub_dir = saved
        captured = capsys.readouterr()
        err = "".join(line for line in captured.err.splitlines(True)    # (not the library's
                      if not line.startswith("tinygrad_sgd: "))       # one-time kernel note)
        printed[name] = (captured.out.replace(str(hub_dir), "<hub>"),
                         err.replace(str(hub_dir), "<hub>"))
    assert printed["ours"] == printed["torch"]
    assert "A tiny linear model" in printed["ours"][0]


# ------------------------------------------------------------------ source="github"
def _zip_of_repo(path, top="o-r-0123abc/", hubconf=HUBCONF):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(top, "")
        z.writestr(top + "hubconf.py", textwrap.dedent(hubconf))
        z.writestr(top + "README.md", "a repository\n")
    return path


def _routes(files):
    """The GitHub URLs FakeNet can serve, to files under ``files``."""
    files.mkdir(exist_ok=True)
    page = files / "page.html"
    page.write_text("<html></html>")
    branches = files / "branches.json"
    branches.write_text(json.dumps([{"name": "main", "commit": {"sha": "0123abcdef"}},
                                    {"name": "v1", "commit": {"sha": "fedcba9876"}}]))
    empty = files / "empty.json"
    empty.write_text("[]")
    repo_zip = _zip_of_repo(files / "repo.zip")
    api = "https://api.github.com/repos/o/r"
    return {
        "tree-main": {"https://github.com/o/r/tree/main/": page},
        "tree-404": {"https://github.com/o/r/tree/main/": 404},
        "tree-500": {"https://github.com/o/r/tree/main/": 500},
        "api": {f"{api}/branches?per_page=100&page=1": branches,
                f"{api}/branches?per_page=100&page=2": empty,
                f"{api}/tags?per_page=100&page=1": empty},
        "api-403": {f"{api}/branches?per_page=100&page=1": 403},
        "zip-main": {"https://github.com/o/r/zipball/main": repo_zip},
        "zip-v1": {"https://github.com/o/r/zipball/v1": repo_zip},
        "zip-sha": {"https://github.com/o/r/zipball/0123abc": repo_zip},
        "zip-300": {"https://github.com/o/r/zipball/v1": 300,
                    "https://github.com/o/r/zipball/refs/heads/v1": repo_zip},
        "zip-slip": {"https://github.com/o/r/zipball/v1": _evil_zip(files / "evil.zip")},
    }


def _evil_zip(path):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("o-r-0123abc/", "")
        z.writestr("o-r-0123abc/../../escaped.py", "x = 1\n")
    return path


# id, cached checkouts, trusted_list, repo, kwargs, answers typed at the prompt, routes
GITHUB_CASES = [
    ("offline-nothing-cached", [], "", "o/r", {}, [], []),
    ("offline-main-cached", ["o_r_main"], "", "o/r", {}, [], []),
    ("offline-master-cached", ["o_r_master"], "", "o/r", {}, [], []),
    ("offline-both-cached-main-wins", ["o_r_main", "o_r_master"], "", "o/r", {}, [], []),
    ("ref-cached", ["o_r_v1"], "", "o/r:v1", {}, [], []),
    ("ref-with-slash-cached", ["o_r_feature_x"], "", "o/r:feature/x", {}, [], []),
    ("verbose-false", ["o_r_v1"], "", "o/r:v1", {"verbose": False}, [], []),
    ("ref-not-cached-validation-offline", [], "o_r\n", "o/r:v1", {}, [], []),
    ("skip-validation-download-offline", [], "o_r\n", "o/r:v1", {"skip_validation": True}, [],
     []),
    ("force-reload-offline", ["o_r_v1"], "", "o/r:v1", {"force_reload": True}, [], []),
    ("prompt-no", [], "", "o/r:v1", {}, ["n"], []),
    ("prompt-empty", [], "", "o/r:v1", {}, [""], []),
    ("prompt-unrecognised", [], "", "o/r:v1", {}, ["maybe"], []),
    ("prompt-yes-then-offline", [], "", "o/r:v1", {}, ["YES"], []),
    ("trust-false-asks-even-cached", ["o_r_v1"], "", "o/r:v1", {"trust_repo": False}, ["y"],
     []),
    ("trust-false-cached-no", ["o_r_v1"], "", "o/r:v1", {"trust_repo": False}, ["no"], []),
    ("trust-true-adds", [], "", "o/r:v1", {"trust_repo": True}, [], []),
    ("trust-none-adds", [], "", "o/r:v1", {"trust_repo": None}, [], []),
    ("trusted-owner", [], "", "pytorch/r:v1", {}, [], []),
    ("trusted-list-line", ["o_r_main"], "x_y\no_r\n", "o/r:v1", {}, [], []),
    ("main-404-master-cached", ["o_r_master"], "", "o/r", {}, [], ["tree-404"]),
    ("main-500", ["o_r_master"], "", "o/r", {}, [], ["tree-500"]),
    ("download-main", [], "o_r\n", "o/r", {}, [], ["tree-main", "api", "zip-main"]),
    ("download-commit-sha", [], "o_r\n", "o/r:0123abc", {}, [], ["api", "zip-sha"]),
    ("force-reload-downloads", ["o_r_v1"], "", "o/r:v1", {"force_reload": True}, [],
     ["api", "zip-v1"]),
    ("ref-of-a-fork", [], "o_r\n", "o/r:v9", {}, [], ["api"]),
    ("api-403-without-token", [], "o_r\n", "o/r:v1", {}, [], ["api-403"]),
    ("ambiguous-ref-300", [], "o_r\n", "o/r:v1", {"skip_validation": True}, [], ["zip-300"]),
    ("zip-slip", [], "o_r\n", "o/r:v1", {"skip_validation": True}, [], ["zip-slip"]),
    ("no-slash", ["o_r_v1"], "", "o:v1", {}, [], []),
    ("two-colons", ["o_r_v1"], "", "o/r:v1:v2", {}, [], []),
]


def _run_github(module, hub_dir, do, routes, answers, cached, trusted, monkeypatch):
    """Prepare ``hub_dir``, run ``do(module)``; what happened, the hub dir written ``<hub>``."""
    hub_dir.mkdir(parents=True, exist_ok=True)
    for name in cached:
        write_repo(hub_dir / name, HUBCONF.replace("manual_seed(0)", f"manual_seed({len(name)})"))
    if trusted:
        (hub_dir / "trusted_list").write_text(trusted)
    net = FakeNet(routes)
    monkeypatch.setattr(module, "urlopen", net)
    prompts, typed = [], iter(answers)

    def fake_input(prompt=""):
        prompts.append(prompt)
        return next(typed)

    monkeypatch.setattr(builtins, "input", fake_input)
    out, err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        warnings.simplefilter("always")
        result = outcome(do, module)
    trusted_after = (hub_dir / "trusted_list").read_text() \
        if (hub_dir / "trusted_list").exists() else None
    here = str(hub_dir)
    return {"result": result[0], "value": result[1] if result[0] == "ok" else
            result[1].replace(here, "<hub>"),
            "stdout": out.getvalue().replace(here, "<hub>"),
            "stderr": err.getvalue().replace(here, "<hub>"), "asked": net.asked,
            "prompts": prompts, "trusted_list": trusted_after,
            "hub_dir": sorted(p.name for p in hub_dir.iterdir()),
            "warnings": [(w.category.__name__, str(w.message)) for w in caught
                         if "TORCH_HUB" not in str(w.message)]}


@pytest.mark.parametrize("cached,trusted,repo,kwargs,answers,route_names",
                         [c[1:] for c in GITHUB_CASES], ids=[c[0] for c in GITHUB_CASES])
def test_load_from_github_is_torchs(cached, trusted, repo, kwargs, answers, route_names,
                                    hubs, tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    table = _routes(tmp_path / "files")
    routes = {url: path for name in route_names for url, path in table[name].items()}
    got = {name: _run_github(module, hubs[name],
                             lambda m: summary(m.load(repo, "tiny", **kwargs)),
                             routes, answers, cached, trusted, monkeypatch)
           for name, module in LIBS.items()}
    value_ours, value_torch = got["ours"].pop("value"), got["torch"].pop("value")
    assert got["ours"] == got["torch"]
    assert_same(value_ours, value_torch)
    assert not (tmp_path / "escaped.py").exists()


def test_github_token_is_sent_then_dropped_as_torch(hubs, tmp_path, monkeypatch):
    """$GITHUB_TOKEN goes with the API requests; refused (HTTPError), the request is made
    again without it (with no token set, torch's retry is a KeyError: the case above)."""
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    routes = _routes(tmp_path / "files")["api-403"]
    got = {}
    for name, module in LIBS.items():
        net = FakeNet(routes)
        monkeypatch.setattr(module, "urlopen", net)
        got[name] = outcome(lambda m: m.load("o/r:v1", "tiny", trust_repo=True), module), \
            net.asked, net.headers
    assert got["ours"] == got["torch"]
    assert got["ours"][0][0] == "HTTPError"
    assert [h.get("Authorization") for h in got["ours"][2]] == ["token t0ken", None]


def test_github_offline_failures_are_torchs_classes(hubs, monkeypatch):
    """The three ways an offline load fails: no cache (RuntimeError), a ref to validate or a
    zip to download (URLError)."""
    expected = {"o/r": "RuntimeError", "o/r:v1": "URLError"}
    for repo, error in expected.items():
        for kwargs in ({}, {"skip_validation": True}):
            for name, module in LIBS.items():
                got = outcome(lambda m: m.load(repo, "tiny", trust_repo=True, **kwargs), module)
                assert got[0] == error, (name, repo, kwargs, got)


@pytest.mark.parametrize("call", ["list", "help", "help-missing"])
def test_list_and_help_from_the_cache_are_torchs(call, hubs, monkeypatch):
    do = {"list": lambda m: m.list("o/r:v1"),
          "help": lambda m: m.help("o/r:v1", "tiny"),
          "help-missing": lambda m: m.help("o/r:v1", "huge")}[call]
    got = {name: _run_github(module, hubs[name], do, {}, [], ["o_r_v1"], "", monkeypatch)
           for name, module in LIBS.items()}
    assert got["ours"] == got["torch"]
    if call == "list":
        assert got["ours"]["value"] == ["Linear", "tiny"]


# ------------------------------------------------------------------ download_url_to_file
DOWNLOAD_CASES = [
    ("plain", {}, None),
    ("hash-prefix-right", {"hash_prefix": "{sha8}"}, None),
    ("hash-prefix-whole", {"hash_prefix": "{sha}"}, None),
    ("hash-prefix-wrong", {"hash_prefix": "deadbeef"}, None),
    ("progress-off", {"progress": False}, None),
    ("tilde-destination", {}, "~/fetched.bin"),
    ("missing-source", {}, "missing"),
    ("destination-folder-missing", {}, "~/no/such/fetched.bin"),
]


@pytest.mark.parametrize("kwargs,dst", [c[1:] for c in DOWNLOAD_CASES],
                         ids=[c[0] for c in DOWNLOAD_CASES])
def test_download_url_to_file_is_torchs(kwargs, dst, tmp_path, monkeypatch):
    import hashlib
    payload = os.urandom(300_000)                       # (more than one 128 KiB chunk)
    source = tmp_path / "source.bin"
    source.write_bytes(payload)
    sha = hashlib.sha256(payload).hexdigest()
    kwargs = {k: v.format(sha=sha, sha8=sha[:8]) if isinstance(v, str) else v
              for k, v in kwargs.items()}
    url = (tmp_path / "nowhere.bin").as_uri() if dst == "missing" else source.as_uri()
    got = {}
    for name, module in LIBS.items():
        home = tmp_path / name
        home.mkdir()
        monkeypatch.setenv("HOME", str(home))
        target = home / "fetched.bin"
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            result = outcome(lambda m: m.download_url_to_file(
                url, str(target) if dst in (None, "missing") else dst, **kwargs), module)
        got[name] = (result[0], "" if result[0] in ("URLError", "FileNotFoundError")  # (paths)
                     else result[1],
                     target.read_bytes() == payload if target.exists() else None,
                     sorted(p.name for p in home.iterdir()), bool(err.getvalue()))
    assert got["ours"] == got["torch"]


# ------------------------------------------------------------------ load_state_dict_from_url
def _checkpoints(folder):
    """Checkpoints written by torch: a state dict (torch.save's zip format) named with its
    hash, and the same file zipped alone (the legacy layout)."""
    import hashlib
    folder.mkdir()
    torch.manual_seed(0)
    plain = folder / "weights.pth"
    torch.save(torch.nn.Linear(4, 3).state_dict(), plain)
    sha = hashlib.sha256(plain.read_bytes()).hexdigest()
    hashed = folder / f"weights-{sha[:10]}.pth"
    hashed.write_bytes(plain.read_bytes())
    wrong = folder / "weights-deadbeef.pth"
    wrong.write_bytes(plain.read_bytes())
    legacy = folder / "legacy.zip"
    with zipfile.ZipFile(legacy, "w") as z:
        z.write(plain, "inner.pth")
    return {"plain": plain, "hashed": hashed, "wrong": wrong, "legacy": legacy,
            "missing": folder / "gone.pth"}


# id, checkpoint, kwargs, already in the cache (under the name it is kept by)
STATE_DICT_CASES = [
    ("download", "plain", {}, False),
    ("cached-no-download", "missing", {"file_name": "weights.pth"}, True),
    ("not-cached-missing-url", "missing", {}, False),
    ("file-name", "plain", {"file_name": "renamed.pt"}, False),
    ("model-dir", "plain", {"model_dir": "{tmp}/elsewhere"}, False),
    ("check-hash-right", "hashed", {"check_hash": True}, False),
    ("check-hash-wrong", "wrong", {"check_hash": True}, False),
    ("check-hash-no-hash-in-name", "plain", {"check_hash": True}, False),
    ("wrong-hash-unchecked", "wrong", {}, False),
    ("map-location-cpu", "plain", {"map_location": "cpu"}, False),
    ("weights-only", "plain", {"weights_only": True}, False),
    ("legacy-zip", "legacy", {}, False),
    ("progress", "plain", {"progress": True}, False),
]


@pytest.mark.parametrize("which,kwargs,cached", [c[1:] for c in STATE_DICT_CASES],
                         ids=[c[0] for c in STATE_DICT_CASES])
def test_load_state_dict_from_url_is_torchs(which, kwargs, cached, hubs, tmp_path,
                                            monkeypatch):
    files = _checkpoints(tmp_path / "files")
    url = files[which].as_uri()
    got = {}
    for name, module in LIBS.items():
        here = {k: v.format(tmp=tmp_path / name) if isinstance(v, str) else v
                for k, v in kwargs.items()}
        if cached:
            (hubs[name] / "checkpoints").mkdir(parents=True)
            (hubs[name] / "checkpoints" / "weights.pth").write_bytes(files["plain"].read_bytes())
        root = tmp_path / name
        out = _run_github(module, hubs[name], lambda m: summary(
            m.load_state_dict_from_url(url, **here)), {}, [], [], "", monkeypatch)
        out["stdout"] = out["stdout"].replace(str(root), "<root>")
        out["stderr"] = bool(out["stderr"])
        out["value"] = out["value"] if out["result"] == "ok" else \
            out["value"].replace(str(root), "<root>")
        kept = Path(here.get("model_dir", hubs[name] / "checkpoints"))
        out["kept"] = sorted(p.name for p in kept.iterdir()) if kept.exists() else None
        got[name] = out
    value_ours, value_torch = got["ours"].pop("value"), got["torch"].pop("value")
    assert got["ours"] == got["torch"]
    assert_same(value_ours, value_torch)


def test_torch_model_zoo_is_deprecated_as_torch(hubs, tmp_path, monkeypatch):
    files = _checkpoints(tmp_path / "files")
    monkeypatch.setenv("TORCH_MODEL_ZOO", str(tmp_path))
    got = {name: _run_github(module, hubs[name], lambda m: sorted(m.load_state_dict_from_url(
        files["plain"].as_uri(), progress=False)), {}, [], [], "", monkeypatch)
        for name, module in LIBS.items()}
    assert got["ours"] == got["torch"]
    assert got["ours"]["warnings"] == [
        ("UserWarning", "TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead")]


def test_model_zoo_load_url_is_the_hubs(hubs, tmp_path, monkeypatch):
    """torch.utils.model_zoo.load_url, torch's older name, as torch's: the hub's function."""
    import torch.utils.model_zoo as their_zoo
    files = _checkpoints(tmp_path / "files")
    assert tg.utils.model_zoo.load_url is ours.load_state_dict_from_url
    assert their_zoo.load_url is theirs.load_state_dict_from_url
    assert tg.utils.model_zoo.tqdm is their_zoo.tqdm
    state = tg.utils.model_zoo.load_url(files["plain"].as_uri(), progress=False)
    assert sorted(state) == ["bias", "weight"]
    with torch_modules():
        from torch.utils.model_zoo import load_url, tqdm
        import torch as t
        assert load_url is ours.load_state_dict_from_url and tqdm is ours.tqdm
        assert t.utils.model_zoo.load_url is load_url
