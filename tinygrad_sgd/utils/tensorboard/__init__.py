"""``tinygrad_sgd.utils.tensorboard`` — torch's ``torch.utils.tensorboard``: ``SummaryWriter``
writes the event files TensorBoard reads, record for record as torch's does, with neither the
tensorboard nor the protobuf package (only ``tensorboard --logdir runs``, to look, needs it).

An event file is a sequence of TFRecords (:mod:`.record`: length, CRC32C, data, CRC32C), each
the bytes of one ``Event`` protocol buffer (:mod:`.proto`, encoded by hand): the first says
the file's format version, the others carry a wall time, a step and a ``Summary``
(:mod:`.summary`: scalars, histograms, PNG images from :mod:`.png`, text, hyperparameters).
:mod:`.writer` puts them in files; :func:`.record.read_records` reads them back.
"""
from .writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "SummaryWriter"]
