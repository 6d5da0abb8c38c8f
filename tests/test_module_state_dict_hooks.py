"""A Module's state-dict hooks against torch: the order of the calls through the tree, what
each sees (prefix, keep_vars, the dict so far, local_metadata with torch's versions, the key
lists), edits made in place (a key dropped when saving, one added or renamed when loading,
missing keys cleared by a post-hook), strict and non-strict loads, and the refusals."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

LIBS = (tg, torch)


def _net(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Linear(2, 3), L.nn.Sequential(L.nn.BatchNorm1d(3),
                                                               L.nn.Linear(3, 1)))


def _run(L):
    net, log = _net(L), []
    net.register_state_dict_pre_hook(lambda m, p, kv: log.append(("pre", p, kv)))
    net[1][0].register_state_dict_pre_hook(lambda m, p, kv: log.append(("pre", p, kv)))

    def post(m, sd, prefix, meta):
        log.append(("post", prefix, dict(meta), list(sd)))
        sd.pop(prefix + "num_batches_tracked", None)
    net[1][0].register_state_dict_post_hook(post)
    net[1].register_state_dict_post_hook(lambda m, sd, p, meta: log.append(("post", p, list(sd))))
    sd = net.state_dict()
    log.append((list(sd), dict(sd._metadata)))
    log.append(list(net.state_dict(keep_vars=True)))

    def lpre(m, sd, prefix, meta, strict, missing, unexpected, errors):
        log.append(("lpre", prefix, dict(meta), strict, list(missing), list(unexpected)))
        if prefix + "old_weight" in sd:                     # an old checkpoint's name
            sd[prefix + "weight"] = sd.pop(prefix + "old_weight")
        if prefix + "running_mean" in sd:
            sd[prefix + "num_batches_tracked"] = L.tensor(7)

    def lpost(m, keys):
        log.append(("lpost", type(m).__name__, list(keys.missing_keys),
                    list(keys.unexpected_keys)))
    net[1][0].register_load_state_dict_pre_hook(lpre)
    net[1][1].register_load_state_dict_pre_hook(lpre)
    net.register_load_state_dict_post_hook(lpost)
    net[0].register_load_state_dict_post_hook(lpost)
    log.append(repr(net.load_state_dict(sd)))
    log.append(int(net[1][0].num_batches_tracked))
    old = dict(sd)
    old["1.1.old_weight"] = old.pop("1.1.weight") * 2
    del old["0.bias"]
    old["0.extra"] = old["0.weight"]
    log.append(repr(net.load_state_dict(old, strict=False)))
    log.append(net[1][1].weight.detach().numpy().round(6).tolist())
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(old)
    log.append(("error", "0.bias" in str(info.value), "0.extra" in str(info.value)))

    def forgive(m, keys):                       # a post-hook that accepts what is missing
        keys.missing_keys.clear()
        keys.unexpected_keys.clear()
    net.register_load_state_dict_post_hook(forgive)
    log.append(repr(net.load_state_dict(old)))
    return log


def test_state_dict_hooks_as_torch():
    ours, theirs = (_run(L) for L in LIBS)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a == b


@pytest.mark.parametrize("which", ["save", "load"])
def test_post_hooks_must_return_none(which):
    for L in LIBS:
        m = L.nn.Linear(2, 2)
        if which == "save":
            m.register_state_dict_post_hook(lambda mod, sd, p, meta: {})
            with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
                m.state_dict()
        else:
            m.register_load_state_dict_post_hook(lambda mod, keys: keys)
            with pytest.raises(AssertionError, match="are not expected to return new values"):
                m.load_state_dict(m.state_dict())


def test_removed_hooks_do_not_run_and_error_messages_from_pre_hooks_fail_the_load():
    for L in LIBS:
        m, log = L.nn.Linear(2, 2), []
        handle = m.register_state_dict_pre_hook(lambda *a: log.append("pre"))
        handle.remove()
        m.state_dict()
        assert log == []
        m.register_load_state_dict_pre_hook(
            lambda mod, sd, p, meta, strict, mk, uk, errors: errors.append("refused by a hook"))
        with pytest.raises(RuntimeError, match="refused by a hook"):
            m.load_state_dict(m.state_dict())
    np.testing.assert_array_equal(tg.nn.Linear(2, 2).state_dict()._metadata[""]["version"], 1)


def _extension_points_net(m):
    class Counter(m.nn.Module):                       # extra state
        def __init__(self):
            super().__init__()
            self.lin = m.nn.Linear(2, 2)
            self.count = 3

        def get_extra_state(self):
            return {"count": self.count}

        def set_extra_state(self, state):
            self.count = state["count"]

    class Renamer(m.nn.Module):                       # an old key renamed while loading
        def __init__(self):
            super().__init__()
            self.w = m.nn.Parameter(m.zeros(2))

        def _load_from_state_dict(self, sd, prefix, *args):
            if prefix + "old_w" in sd:
                sd[prefix + "w"] = sd.pop(prefix + "old_w")
            super()._load_from_state_dict(sd, prefix, *args)

    class Noted(m.nn.Module):                         # an entry added while saving
        def __init__(self):
            super().__init__()
            self.b = m.nn.Parameter(m.ones(1))

        def _save_to_state_dict(self, dest, prefix, keep_vars):
            super()._save_to_state_dict(dest, prefix, keep_vars)
            dest[prefix + "note"] = m.tensor(7.0)

    return m.nn.Sequential(Counter(), Renamer(), Noted())


def test_state_dict_extension_points_as_torch():
    """get_extra_state/set_extra_state, _save_to_state_dict and _load_from_state_dict
    overridden (and calling super()) give torch's keys, values and load results."""
    seen = []
    for m in (torch, tg):
        net = _extension_points_net(m)
        sd = net.state_dict()
        other = _extension_points_net(m)
        other[0].count = 0
        given = {k: v for k, v in sd.items() if k not in ("1.w", "2.note")}
        given["1.old_w"] = m.ones(2) * 5
        result = other.load_state_dict(given)
        without_extra = {k: v for k, v in given.items() if k != "0._extra_state"}
        with pytest.raises(RuntimeError, match="Missing key"):
            other.load_state_dict(without_extra)
        loose = other.load_state_dict(without_extra, strict=False)
        seen.append((list(sd), sd["0._extra_state"], float(sd["2.note"]), list(result.missing_keys),
                     list(result.unexpected_keys), other[0].count, other[1].w.tolist(),
                     list(loose.missing_keys), list(loose.unexpected_keys)))
    assert seen[0] == seen[1]
