"""Optimizers, shaped like ``torch.optim``: :class:`SGD` (momentum, dampening, Nesterov,
weight decay, maximize), :class:`Adam`, :class:`AdamW`, :class:`NAdam`, :class:`RAdam`,
:class:`Adamax`, :class:`RMSprop`, :class:`Adagrad`, :class:`Adadelta`, :class:`Adafactor`,
:class:`ASGD`, :class:`Rprop`, :class:`LBFGS`, :class:`Muon` and :class:`SparseAdam` (which,
as torch's, refuses dense gradients), each with torch's exact update, over parameter groups;
learning-rate schedules in :mod:`tinygrad_sgd.optim.lr_scheduler`, weight averaging in
:mod:`tinygrad_sgd.optim.swa_utils`.

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
from .nadam import NAdam
from .radam import RAdam
from .adamax import Adamax
from .rmsprop import RMSprop
from .adagrad import Adagrad
from .adadelta import Adadelta
from .adafactor import Adafactor
from .asgd import ASGD
from .rprop import Rprop
from .lbfgs import LBFGS
from .muon import Muon
from .sparse_adam import SparseAdam
from . import lr_scheduler  # noqa: F401  (optim.lr_scheduler.StepLR, as in torch)
from . import swa_utils  # noqa: F401  (AveragedModel, SWALR, update_bn)

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "NAdam", "RAdam", "Adamax", "RMSprop",
           "Adagrad", "Adadelta", "Adafactor", "ASGD", "Rprop", "LBFGS", "lr_scheduler",
           "swa_utils", "Muon", "SparseAdam"]
