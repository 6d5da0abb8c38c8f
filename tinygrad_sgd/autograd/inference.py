"""Inference tensors, as torch's: every tensor made inside ``inference_mode()`` is one
(``is_inference()``; not a view of a normal tensor, while a view, ``detach()`` or ``.data`` of an
inference tensor is one anywhere). ``Function.apply`` and the Tensor's constructors mark them
(``Tensor._inference``, read from the grad mode's ``inference`` flag: one attribute test per
op). Outside inference mode they refuse, with torch's words, what would need autograd to know
about them: being saved for backward (:func:`check_saved`), an in-place change
(``Tensor._bump_version_unchecked``), ``requires_grad=True`` (the Tensor's setter).
"""
__all__ = ["SAVED", "IN_PLACE", "check_saved"]

SAVED = ("Inference tensors cannot be saved for backward. Please do not use Tensors created in "
         "inference mode in computation tracked by autograd. To work around this, you can make "
         "a clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` "
         "instead of `torch.inference_mode()`.")
IN_PLACE = ("Inplace update to inference tensor outside InferenceMode is not allowed.You can "
            "make a clone to get a normal tensor before doing inplace update.See "
            "https://github.com/pytorch/rfcs/pull/17 for more details.")


def check_saved(node, t, saved):
    """Refuse saving the inference tensor ``t`` (one of ``saved``) for ``node``'s backward, as
    torch refuses it. torch's ops save an input only where a gradient needs it; an op here
    saves all its formulas may need, so: refused when t needs no gradient itself (it is kept
    for another input's), or another saved tensor, not an inference one, needs one (a layer
    made in inference mode, run on data needing none, is let through, as torch); a custom
    Function's ``ctx.save_for_backward`` refuses any, as torch's."""
    if getattr(type(node), "_torch_forward", None) is not None or not t.requires_grad or any(
            s is not None and s is not t and s.requires_grad and not s._inference
            for s in saved):
        raise RuntimeError(SAVED)
