"""Large graphs: repeated chains drawn as one node, the nodes nearest the output kept, and
operations grouped by the module call they ran in (clusters)."""
from __future__ import annotations

from ..autograd import Function

__all__ = ["Unit", "build_units", "keep_nearest", "cluster_paths"]


class Unit:
    """What one operation node of the picture stands for: one op, or a collapsed chain."""

    def __init__(self, ops, label, repeats=1):
        self.ops = ops               # member operations, forward order (last one is the output)
        self.label = label
        self.repeats = repeats
        self.last = ops[-1]


def build_units(view, collapse):
    """Group long repeated chains into single units; every other op is its own unit."""
    units, unit_of = [], {}
    groups = _repeated_chains(view) if collapse else []
    grouped = {id(op) for members, _, _ in groups for op in members}
    starts = {id(members[0]): (members, label, r) for members, label, r in groups}
    for op in view.ops:
        if id(op) in starts:
            members, label, r = starts[id(op)]
            unit = Unit(members, label, r)
        elif id(op) in grouped:
            continue
        else:
            unit = Unit([op], op.label())
        units.append(unit)
        for m in unit.ops:
            unit_of[id(m)] = unit
    units.sort(key=lambda u: view.position[id(u.last)])
    return units, unit_of


def _repeated_chains(view, min_repeats=4, max_period=6):
    """Find chains in which a block of 1..max_period operations repeats at least min_repeats
    times (``y = y * 0.99 + 0.01`` in a loop, or identical stacked layers). An op continues the
    chain of its main input P when P's output is used only by it; 'side' inputs (an op used
    once whose own inputs are all leaves, like the transpose of a weight) join the block."""
    def is_side(node):
        return (view.uses(node) == 1
                and not any(isinstance(e, Function) for e in node._edges))

    chain_of, chains, sides = {}, [], {}
    for op in view.ops:
        fn_edges = [e for e in op._edges if isinstance(e, Function)]
        distinct = list({id(e): e for e in fn_edges}.values())
        main = [e for e in distinct if not is_side(e)]
        sides[id(op)] = [e for e in distinct if is_side(e)]
        linked = (len(main) == 1 and len(distinct) == len(fn_edges)
                  and view.uses(main[0]) == 1 and id(main[0]) in chain_of)
        chain = chain_of[id(main[0])] if linked else []
        if not linked:
            chains.append(chain)
        chain.append(op)
        chain_of[id(op)] = chain

    def key(op):
        mods = op.__dict__.get("modules") or ()
        return (op.label(), tuple(sorted(s.label() for s in sides[id(op)])),
                type(mods[-1]) if mods else None)

    groups = []
    for chain in chains:
        if len(chain) < min_repeats:
            continue
        keys = [key(op) for op in chain]
        i = 0
        while i < len(keys):
            best_p, best_r = 1, 1
            for p in range(1, max_period + 1):
                r = 1
                while i + (r + 1) * p <= len(keys) and \
                        keys[i + r * p:i + (r + 1) * p] == keys[i:i + p]:
                    r += 1
                if r >= min_repeats and p * r > best_p * best_r:
                    best_p, best_r = p, r
            if best_r >= min_repeats:
                block = chain[i:i + best_p * best_r]
                members = []
                for op in block:
                    members.extend(sides[id(op)])
                    members.append(op)
                names = [k[0] if not k[1] else "·".join(k[1] + (k[0],))
                         for k in keys[i:i + best_p]]
                label = names[0] if best_p == 1 else "(" + " → ".join(names) + ")"
                groups.append((members, f"{label} × {best_r:,}", best_r))
                i += best_p * best_r
            else:
                i += 1
    return groups


def keep_nearest(view, units, unit_of, max_nodes):
    """The ``max_nodes`` units closest to the output (breadth-first from the roots)."""
    if max_nodes is None or len(units) <= max_nodes:
        return units
    order, seen = [], set()
    frontier = [unit_of[id(r.grad_fn)] for r in view.roots if r.grad_fn is not None]
    for u in frontier:
        seen.add(id(u))
    while frontier and len(order) < max_nodes:
        nxt = []
        for u in frontier:
            if len(order) >= max_nodes:
                break
            order.append(u)
            for m in u.ops:
                for e in m._edges:
                    if isinstance(e, Function) and id(unit_of[id(e)]) not in seen:
                        seen.add(id(unit_of[id(e)]))
                        nxt.append(unit_of[id(e)])
        frontier = nxt
    keep = {id(u) for u in order}
    return [u for u in units if id(u) in keep]


def cluster_paths(view, units, unit_of):
    """For each unit, the list of cluster keys (outermost first) it is drawn in.

    A cluster is one *call* of a module: the operations of the same module that are connected
    to each other. A module called twice (a pooling layer reused) gives two clusters."""
    def modules_of(unit):
        paths = [op.__dict__.get("modules") or () for op in unit.ops]
        common = []
        for level in zip(*paths):
            if all(m is level[0] for m in level):
                common.append(level[0])
            else:
                break
        return common

    mods = {id(u): modules_of(u) for u in units}
    keys = {id(u): [] for u in units}
    ids = {id(u) for u in units}
    depth = max((len(m) for m in mods.values()), default=0)
    for level in range(depth):
        parent = {}
        for u in units:
            if len(mods[id(u)]) > level:
                parent[id(u)] = (tuple(keys[id(u)]), id(mods[id(u)][level]))
        # union units of the same (parent cluster, module) that feed one another
        root = {uid: uid for uid in parent}

        def find(x):
            while root[x] != x:
                root[x] = root[root[x]]
                x = root[x]
            return x
        for u in units:
            if id(u) not in parent:
                continue
            for m in u.ops:
                for e in m._edges:
                    if isinstance(e, Function) and id(unit_of[id(e)]) in ids:
                        v = id(unit_of[id(e)])
                        if v in parent and parent[v] == parent[id(u)]:
                            root[find(v)] = find(id(u))
        for u in units:
            if id(u) in parent:
                keys[id(u)].append(parent[id(u)] + (find(id(u)),))
    return mods, keys

