"""L-BFGS (``torch.optim.LBFGS``): a quasi-Newton method that builds an inverse-Hessian
estimate from the last ``history_size`` steps and gradient changes (Nocedal, 1980), with an
optional strong-Wolfe line search; ``step(closure)`` runs up to ``max_iter`` iterations.

The algorithm is torch's (itself from Mark Schmidt's minFunc), step for step: the same tests,
the same order of operations. All parameters are flattened into one vector ``x``; every
scalar computed from vectors (dot products, ``t``, ``ro``, ``H_diag``) is a NumPy scalar of
the parameters' dtype, as torch's are 0-d tensors of that dtype, so float32 stays float32.
"""
import numpy as np

from ..autograd import no_grad
from ..kernels.cascade_sum import torch_sum
from ..kernels.optim import add_scaled
from ..tensor import Tensor
from .optimizer import Optimizer, _as_numpy, _check_nonnegative, _evaluate

__all__ = ["LBFGS"]


class LBFGS(Optimizer):
    """L-BFGS. Each ``step(closure)`` (the closure clears the gradients, computes the loss,
    calls ``backward()`` and returns the loss) iterates, for k = 1 … ``max_iter``:

        d ← −H·g          two-loop recursion over the stored pairs (sᵢ = t·d, yᵢ = Δg,
                          ρᵢ = 1/yᵢ·sᵢ, kept only when yᵢ·sᵢ > 1e-10), H₀ = (y·s)/(y·y);
                          at the very first iteration d ← −g
        t ← lr            (the first iteration ever: min(1, 1/Σ|g|)·lr)
        x ← x + t·d       with ``line_search_fn='strong_wolfe'``, t is found by a line
                          search meeting the strong Wolfe conditions (c₁ = 1e-4, c₂ = 0.9)

    and stops early when the directional derivative g·d > −tolerance_change, after
    ``max_eval`` closure calls, when max|g| ≤ tolerance_grad, when max|t·d| ≤
    tolerance_change, or when the loss changed by less than tolerance_change. It returns the
    closure's first loss. One parameter group only, as torch. The state (torch's keys: ``d``,
    ``t``, ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss``,
    ``al``, ``func_evals``, ``n_iter``) is kept under the first parameter, as torch does.
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _validate_group(self, group):
        _check_nonnegative(group, "lr", "learning rate")

    # ------------------------------------------------------------------ flat views
    def _gather_flat_grad(self):
        return np.concatenate([np.zeros(p.array.size, p.array.dtype) if p.grad is None
                               else p.grad.array.reshape(-1) for p in self._params])

    def _add_grad(self, step_size, update):
        """x ← x + step_size·update, over the parameters in place: torch's
        ``p.add_(update, alpha=step_size)``, a fused multiply-add (one rounding)."""
        offset = 0
        for p in self._params:
            n = p.array.size
            p._bump_version()
            add_scaled(p.array, step_size, update[offset:offset + n].reshape(p.shape),
                       out=p.array)
            offset += n

    def _set_param(self, saved):
        for p, values in zip(self._params, saved):
            p._bump_version()
            p.array[...] = values

    def _directional_evaluate(self, closure, x, t, d):
        """The loss and flat gradient at x + t·d (the parameters are put back to x after)."""
        self._add_grad(t, d)
        loss = float(_evaluate(closure))
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ------------------------------------------------------------------ the step
    def step(self, closure):
        """Up to ``max_iter`` L-BFGS iterations; ``closure`` is required. Returns its first
        loss."""
        with no_grad(), np.errstate(all="ignore"):
            return self._step(closure)

    def _step(self, closure):
        if len(self.param_groups) != 1:     # (add_param_group is not refused, as in torch)
            raise AssertionError(f"Expected exactly one param_group, but got "
                                 f"{len(self.param_groups)}")
        group = self.param_groups[0]
        lr = group["lr"]       # as given: torch's t is then an int for the default lr=1
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = _evaluate(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        opt_cond = np.abs(flat_grad).max() <= tolerance_grad
        if opt_cond:
            return orig_loss

        d, t = _unpack(state.get("d")), _unpack(state.get("t"))
        old_dirs, old_stps = _unpack(state.get("old_dirs")), _unpack(state.get("old_stps"))
        ro, H_diag = _unpack(state.get("ro")), _unpack(state.get("H_diag"))
        prev_flat_grad = _unpack(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            # ---- the descent direction
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:    # forget the oldest pair
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                num_old = len(old_dirs)
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"] = _unpack(state["al"])
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    add_scaled(q, -al[i], old_dirs[i], out=q)    # q.add_(y, alpha=-al)
                d = r = q * H_diag
                for i in range(num_old):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    add_scaled(r, al[i] - be_i, old_stps[i], out=r)
            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss
            # ---- the step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / _sum(np.abs(flat_grad))) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:
                break
            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = [np.array(p.array, copy=True) for p in self._params]

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:     # the last iteration's loss is not needed
                    loss = float(_evaluate(closure))
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            # ---- stop?
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state.update(d=_pack(d), t=_pack(t), old_dirs=_pack(old_dirs),
                     old_stps=_pack(old_stps), ro=_pack(ro), H_diag=_pack(H_diag),
                     prev_flat_grad=_pack(prev_flat_grad), prev_loss=prev_loss)
        if "al" in state:
            state["al"] = _pack(state["al"])
        return orig_loss

    def load_state_dict(self, state_dict):
        """As :meth:`Optimizer.load_state_dict`; the state's vectors and lists (torch's
        layout) are copied as they are, cast to the parameters' dtype."""
        try:
            saved_state = dict(state_dict["state"])
        except (KeyError, TypeError):
            raise ValueError("optimizer state_dict must be a dict with 'state' and "
                             "'param_groups' entries") from None
        super().load_state_dict({"state": {}, "param_groups": state_dict["param_groups"]})
        self._params = self.param_groups[0]["params"]
        dtype = self._params[0].array.dtype
        order = [int(i) for i in state_dict["param_groups"][0]["params"]]
        for key, entries in saved_state.items():
            p = self._params[order.index(int(key))]
            self.state[p] = {name: _load(value, dtype) for name, value in entries.items()}


def _sum(a):
    """Σ a in torch's order of additions (its ``flat_grad.abs().sum()``)."""
    total = torch_sum(a, None)
    return a.sum() if total is None else total[()]


def _pack(value):
    """A step's value as state keeps it: arrays and NumPy scalars as Tensors (torch's
    tensors and 0-d tensors), lists element-wise, Python numbers and None as they are."""
    if isinstance(value, list):
        return [_pack(v) for v in value]
    if isinstance(value, (np.ndarray, np.generic)):
        return Tensor._of(np.array(value))
    return value


def _unpack(value):
    """The inverse of :func:`_pack`: Tensors back to arrays (0-d ones to NumPy scalars)."""
    if isinstance(value, list):
        return [_unpack(v) for v in value]
    if isinstance(value, Tensor):
        return value.array if value.ndim else value.array[()]
    return value


def _load(value, dtype):
    """A loaded state entry (ours or torch's): tensors copied to Tensors of ``dtype``."""
    if isinstance(value, (list, tuple)):
        return [_load(v, dtype) for v in value]
    if value is None or isinstance(value, (int, float)):
        return value
    return Tensor._of(np.array(_as_numpy(value), dtype=dtype))


# ---------------------------------------------------------------------- line search
def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clamped
    to ``bounds`` (default: [x1, x2]); the bounds' midpoint if the cubic has no minimum."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """torch's (from minFunc's ``lswolfe``): bracket a step t meeting the strong Wolfe
    conditions f(x + t·d) ≤ f + c₁·t·g·d and |g(x + t·d)·d| ≤ −c₂·g·d, then zoom in with
    cubic interpolation. Returns (f, g, t, number of evaluations)."""
    d_norm = np.abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # extrapolate
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom: shrink the bracket until a point meets the conditions
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        # too close to an end (twice, or outside): move to 0.1 of the bracket inside it
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals
