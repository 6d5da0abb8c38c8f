"""``torch.utils.model_zoo``: torch's older home of the checkpoint downloader — ``load_url`` is
:func:`tinygrad_sgd.hub.load_state_dict_from_url` and ``tqdm`` the hub's progress bar, kept
for the programs (torchvision's older model files) that import them from here."""
from ..hub import load_state_dict_from_url as load_url

__all__ = ["load_url"]


def __getattr__(name):
    if name == "tqdm":              # (tqdm is imported when asked for, as in the hub)
        from .. import hub
        return hub.tqdm
    raise AttributeError(f"module 'tinygrad_sgd.utils.model_zoo' has no attribute {name!r}")
