"""``SummaryWriter``: training logs as TensorBoard event files — torch's
``torch.utils.tensorboard.writer``, written without the tensorboard or protobuf packages.

Each ``add_*`` call builds a ``Summary`` (:mod:`.summary`), wraps it in an ``Event`` with the
wall time and global step (:mod:`.proto`) and appends it to the event file as one TFRecord
(:mod:`.record`). A file is named ``events.out.tfevents.<time>.<host>.<pid>.<n><suffix>`` and
starts with an ``Event`` whose ``file_version`` is ``"brain.Event:2"``; ``tensorboard
--logdir runs`` reads every such file under ``runs``, one run per folder.
"""
from __future__ import annotations

import itertools
import os
import socket
import threading
import time

from ..._torch_shim import not_provided
from . import proto
from .record import encode_record
from .summary import (figure_to_image, histogram, histogram_raw, hparams, image, scalar,
                      tensor_proto, text)

__all__ = ["FileWriter", "SummaryWriter"]

_file_number = itertools.count()              # the <n> of the file names, as tensorboard's
_FILE_VERSION = "brain.Event:2"
# the source_metadata tensorboard's own writer puts in a file's first event (kept, so that the
# file is record for record the one torch writes)
_SOURCE = "tensorboard.summary.writer.event_file_writer"
_SESSION_START = 1


def _default_bins() -> list:
    """TensorBoard's histogram edges: ±1e-12 growing by 10% to 1e20, and 0 (1,549 edges)."""
    v, buckets = 1e-12, []
    while v < 1e20:
        buckets.append(v)
        v *= 1.1
    return [-b for b in reversed(buckets)] + [0] + buckets


class FileWriter:
    """One event file in ``log_dir``, created at once with its first event written.

    Records go to a buffered file; they reach the disk when ``max_queue`` are waiting, when
    an add finds ``flush_secs`` passed since the last flush, at :meth:`flush` and
    :meth:`close`, and — as torch's writer's thread does — every ``flush_secs`` from a
    background thread while the program is busy elsewhere (a daemon: it never keeps the
    program alive; it ends at :meth:`close`)."""

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        self._logdir = str(log_dir)
        self._max_queue, self._flush_secs = max_queue, flush_secs
        self._suffix = filename_suffix
        self._file = None
        self._lock = threading.Lock()          # (the adds and the background flushes)
        self._open()

    def _open(self):
        os.makedirs(self._logdir, exist_ok=True)
        name = "events.out.tfevents.%010d.%s.%s.%s" % (
            time.time(), socket.gethostname(), os.getpid(), next(_file_number))
        self._path = os.path.join(self._logdir, name) + self._suffix
        self._file = open(self._path, "wb")
        self._pending, self._last_flush = 0, time.time()
        self._write(proto.event(time.time(), file_version=_FILE_VERSION,
                                source_metadata=proto.source_metadata(_SOURCE)))
        self.flush()
        self._closed = threading.Event()
        self._flusher = threading.Thread(target=self._flush_every, args=(self._closed,),
                                         name="tinygrad_sgd-tensorboard-flush", daemon=True)
        self._flusher.start()

    def _flush_every(self, closed):
        """The background thread: flush what waits every ``flush_secs`` until closed."""
        while not closed.wait(self._flush_secs):
            with self._lock:
                if self._file is not None and self._pending:
                    self._file.flush()
                    self._pending, self._last_flush = 0, time.time()

    def get_logdir(self):
        """The directory the event file is in."""
        return self._logdir

    def _write(self, event: bytes):
        record = encode_record(event)
        with self._lock:
            if self._file is None:
                raise OSError("Writer is closed")
            self._file.write(record)
            self._pending += 1
            if self._pending >= self._max_queue or time.time() - self._last_flush >= \
                    self._flush_secs:
                self._file.flush()
                self._pending, self._last_flush = 0, time.time()

    def add_event(self, event, step=None, walltime=None):
        """Add an ``Event`` protocol buffer (a tensorboard ``event_pb2.Event``: this sets its
        ``wall_time`` and ``step`` as torch does)."""
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)
        self._write(event.SerializeToString())

    def add_summary(self, summary, global_step=None, walltime=None):
        """Add a ``Summary``: its serialized bytes (what :mod:`.summary` builds) or a
        protocol-buffer object, wrapped in an ``Event`` at ``walltime`` (default now)."""
        if not isinstance(summary, bytes):
            summary = summary.SerializeToString()
        wall_time = time.time() if walltime is None else walltime
        step = 0 if global_step is None else int(global_step)
        self._write(proto.event(wall_time, step, summary=summary))

    def _add_raw_event(self, step, **what):
        self._write(proto.event(time.time(), step, **what))

    def flush(self):
        """Write what is buffered to the disk."""
        with self._lock:
            if self._file is None:
                raise OSError("Writer is closed")
            self._file.flush()
            self._pending, self._last_flush = 0, time.time()

    def close(self):
        """Flush and close the file, and end the background thread; :meth:`reopen` starts a
        new one."""
        if self._file is not None:
            self.flush()
            self._closed.set()
            with self._lock:
                self._file.close()
                self._file = None
            self._flusher.join()

    def reopen(self):
        """After :meth:`close`, a new event file in the same directory (else nothing)."""
        if self._file is None:
            self._open()


# torch's SummaryWriter methods this one does not write (asking for one says so)
_NOT_PROVIDED = {"add_graph", "add_onnx_graph", "add_embedding", "add_audio", "add_video",
                 "add_mesh", "add_pr_curve", "add_pr_curve_raw", "add_image_with_boxes",
                 "add_custom_scalars", "add_custom_scalars_multilinechart",
                 "add_custom_scalars_marginchart"}


class SummaryWriter:
    """Writes scalars, histograms, images, text and hyperparameters to event files in
    ``log_dir`` for TensorBoard (``tensorboard --logdir runs``).

    ``log_dir`` defaults to ``runs/<Mon DD_HH-MM-SS>_<hostname><comment>``; ``purge_step``
    writes a session-start at that step so TensorBoard hides the events at and after it of an
    earlier, crashed run in the same ``log_dir``. ``max_queue`` and ``flush_secs`` bound
    what waits in memory before reaching the disk. Use it as a context manager, or call
    :meth:`close`; an ``add_*`` after ``close`` starts a new file.

    Example::

        writer = SummaryWriter()                      # runs/May04_22-14-54_myhost
        for step in range(100):
            writer.add_scalar("loss/train", loss.item(), step)
        writer.close()
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10,
                 flush_secs=120, filename_suffix=""):
        if not log_dir:
            from datetime import datetime
            current_time = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", current_time + "_" + socket.gethostname() + comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()
        self.default_bins = _default_bins()

    def __getattr__(self, name):
        if name in _NOT_PROVIDED:
            raise not_provided(f"SummaryWriter.{name}")
        raise AttributeError(f"'SummaryWriter' object has no attribute '{name}'")

    def _get_file_writer(self):
        """The writer of ``log_dir``'s own file, made anew after :meth:`close`."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs,
                                          self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                step = self.purge_step
                self.file_writer._add_raw_event(step, file_version=_FILE_VERSION)
                self.file_writer._add_raw_event(
                    step, session_log=proto.session_log(_SESSION_START))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        """The directory the event files are written to."""
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """One value of the curve ``tag`` at ``global_step``: a number, a NumPy scalar or a
        one-element Tensor. ``new_style`` stores it as a tensor (float32, or float64 with
        ``double_precision``) rather than a float32 ``simple_value``."""
        summary = scalar(tag, scalar_value, new_style=new_style,
                         double_precision=double_precision)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Several curves on one chart ``main_tag``: each ``tag: value`` goes to its own run,
        the sub-directory ``<log_dir>/<main_tag>_<tag>`` (``/`` in ``main_tag`` made ``_``),
        under the tag ``main_tag``."""
        walltime = time.time() if walltime is None else walltime
        fw_logdir = self._get_file_writer().get_logdir()
        for tag, scalar_value in tag_scalar_dict.items():
            fw_tag = fw_logdir + "/" + main_tag.replace("/", "_") + "_" + tag
            if fw_tag not in self.all_writers:
                self.all_writers[fw_tag] = FileWriter(fw_tag, self.max_queue, self.flush_secs,
                                                      self.filename_suffix)
            self.all_writers[fw_tag].add_summary(scalar(main_tag, scalar_value), global_step,
                                                 walltime)

    def add_tensor(self, tag, tensor, global_step=None, walltime=None):
        """A whole Tensor's values and shape (the "tensor" plugin)."""
        self._get_file_writer().add_summary(tensor_proto(tag, tensor), global_step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        """The distribution of ``values`` (Tensor or array, any shape). ``bins``:
        ``"tensorflow"`` (TensorBoard's exponential edges, :func:`_default_bins`), a NumPy
        rule (``"auto"``, ``"fd"``, ...), a count or the edges; ``max_bins`` merges
        neighbouring bins down to at most that many."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        self._get_file_writer().add_summary(histogram(tag, values, bins, max_bins=max_bins),
                                            global_step, walltime)

    def add_histogram_raw(self, tag, min, max, num, sum, sum_squares, bucket_limits,
                          bucket_counts, global_step=None, walltime=None):
        """A histogram already counted: its statistics, each bucket's right edge and count."""
        if len(bucket_limits) != len(bucket_counts):
            raise ValueError("len(bucket_limits) != len(bucket_counts), see the document.")
        self._get_file_writer().add_summary(
            histogram_raw(tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts),
            global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """One image: 3×H×W by default, or as ``dataformats`` says (``"HWC"``, ``"HW"``,
        ...); floats are taken as 0–1, uint8 as 0–255."""
        self._get_file_writer().add_summary(image(tag, img_tensor, dataformats=dataformats),
                                            global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """A batch of images (N×3×H×W by default), tiled eight to a row into one image."""
        self._get_file_writer().add_summary(image(tag, img_tensor, dataformats=dataformats),
                                            global_step, walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """A matplotlib figure (or a list of them, as a batch) rendered to an image."""
        self.add_image(tag, figure_to_image(figure, close), global_step, walltime,
                       dataformats="NCHW" if isinstance(figure, list) else "CHW")

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Text, shown as markdown in the Text tab under ``<tag>/text_summary``."""
        self._get_file_writer().add_summary(text(tag, text_string), global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None):
        """One run's hyperparameters (bool, str, number) and final metrics, for the HParams
        tab: written to the sub-run ``<log_dir>/<run_name>`` (default: the time now), the
        metrics as scalars there too."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        exp, ssi, sei = hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        if not run_name:
            run_name = str(time.time())
        logdir = os.path.join(self._get_file_writer().get_logdir(), run_name)
        with SummaryWriter(log_dir=logdir) as w_hp:
            for summary in (exp, ssi, sei):
                w_hp.file_writer.add_summary(summary, global_step)
            for k, v in metric_dict.items():
                w_hp.add_scalar(k, v, global_step)

    def flush(self):
        """Write every file's buffered events to the disk."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()

    def close(self):
        """Flush and close every file (a second close does nothing)."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()
