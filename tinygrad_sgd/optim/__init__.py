"""Optimizers, shaped like ``torch.optim``: :class:`SGD` (momentum, dampening, Nesterov,
weight decay, maximize), :class:`Adam`, :class:`AdamW`, :class:`RMSprop` and
:class:`Adagrad`, each with torch's exact update, over parameter groups; learning-rate
schedules in :mod:`tinygrad_sgd.optim.lr_scheduler`.

    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for x, y in loader:
        opt.zero_grad()
        F.nll_loss(model(x), y).backward()
        opt.step()

One file per optimizer; :mod:`.optimizer` holds the base class and the helpers they share.
"""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from . import lr_scheduler  # noqa: F401  (optim.lr_scheduler.StepLR, as in torch)

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
