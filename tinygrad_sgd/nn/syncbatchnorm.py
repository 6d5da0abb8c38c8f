"""``SyncBatchNorm`` (``torch.nn.SyncBatchNorm``): batch norm whose batch statistics are
gathered across the processes of a distributed run.

This library runs in one process, with no process group — and that is the case in which
torch's SyncBatchNorm falls back to plain batch norm (``F.batch_norm``) in train and eval
mode alike. So here it *is* :class:`~tinygrad_sgd.nn.normalization._BatchNorm` over inputs of
any rank ≥ 2, ``(N, C, ...)``, with torch's checks (at least 2-D, a non-zero channel count);
``process_group`` is kept, as torch keeps it, and never used.
:meth:`SyncBatchNorm.convert_sync_batchnorm` swaps every BatchNorm*d of a model for one,
sharing the old layer's parameters and buffers, as torch's does.
"""
from .normalization import _BatchNorm

__all__ = ["SyncBatchNorm"]


class SyncBatchNorm(_BatchNorm):
    """Batch norm over ``(N, C, ...)`` inputs; in one process (the only kind here) exactly
    torch's fallback, ``F.batch_norm`` with the running statistics as BatchNorm*d's."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None, *,
                 bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, x):
        if x.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {x.ndim}D input)")
        if x.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm*d (any ``_BatchNorm``) replaced by a SyncBatchNorm
        holding the same Parameter and buffer objects and training flag; a BatchNorm given
        itself comes back as a new SyncBatchNorm. As torch's."""
        output = module
        if isinstance(module, _BatchNorm):
            output = cls(module.num_features, module.eps, module.momentum, module.affine,
                         module.track_running_stats, process_group,
                         bias=module.bias is not None)
            if module.affine:
                output.weight, output.bias = module.weight, module.bias
            output.running_mean = module.running_mean
            output.running_var = module.running_var
            output.num_batches_tracked = module.num_batches_tracked
            output.training = module.training
            if hasattr(module, "qconfig"):
                output.qconfig = module.qconfig
        for name, child in module.named_children():
            output.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return output
