"""``torch.utils.tensorboard``'s ``SummaryWriter``: the same calls through torch's writer and
ours write the same records — decoded with tensorboard's own ``Event`` message and compared
field for field (all but the wall time), and byte for byte where protobuf's serializer is
deterministic; the framing's CRC32C against published vectors; our files read by
TensorBoard's loader; and the library writing with neither tensorboard nor protobuf
installed."""
import glob
import io
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd.utils.tensorboard import SummaryWriter
from tinygrad_sgd.utils.tensorboard.png import encode_png
from tinygrad_sgd.utils.tensorboard.record import (crc32c, encode_record, masked_crc32c,
                                                   read_records)


# ------------------------------------------------------------------ CRC32C and framing
# RFC 3720 (iSCSI) appendix B.4 and the usual check value
CRC32C_VECTORS = [(b"", 0x00000000), (b"a", 0xC1D04330), (b"123456789", 0xE3069283),
                  (bytes(32), 0x8A9136AA), (b"\xff" * 32, 0x62A8AB43),
                  (bytes(range(32)), 0x46DD794E), (bytes(range(31, -1, -1)), 0x113FDB5C)]


@pytest.mark.parametrize("data,expected", CRC32C_VECTORS, ids=[str(i) for i in range(7)])
def test_crc32c_known_vectors(data, expected):
    assert crc32c(data) == expected


def test_masked_crc_and_record_match_tensorboards():
    pytest.importorskip("tensorboard")
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c as theirs
    from tensorboard.summary.writer.record_writer import RecordWriter
    rng = np.random.default_rng(0)
    for n in (0, 1, 7, 100, 5000):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert masked_crc32c(data) == theirs(data)
        out = io.BytesIO()
        RecordWriter(out).write(data)
        assert encode_record(data) == out.getvalue()


def test_reader_refuses_a_corrupt_record_and_stops_at_a_cut_one(tmp_path):
    path = tmp_path / "f"
    good = encode_record(b"abc") + encode_record(b"defg")
    path.write_bytes(good + encode_record(b"cut short")[:-3])
    assert list(read_records(path)) == [b"abc", b"defg"]
    path.write_bytes(good[:13] + b"X" + good[14:])
    with pytest.raises(ValueError, match="corrupt record data"):
        list(read_records(path))


# ------------------------------------------------------------------ same calls, same records
def _image(lib, shape, dtype="float32", seed=0):
    array = np.random.default_rng(seed).random(shape)
    if dtype == "uint8":
        return lib.tensor((array * 255).astype(np.uint8))
    return lib.tensor(array.astype(dtype))


# name -> the calls, made on (writer, lib) with lib torch or tinygrad_sgd
CASES = {
    "scalars": lambda w, L: [w.add_scalar("loss", 0.25, 0), w.add_scalar("loss", 1e-3, 1),
                             w.add_scalar("zero", 0.0), w.add_scalar("neg", -3, 7, walltime=5),
                             w.add_scalar("big", 1e300, 2), w.add_scalar("np", np.float64(2.5))],
    "scalar_tensor": lambda w, L: [w.add_scalar("t", L.tensor([0.5], requires_grad=True), 3),
                                   w.add_scalar("t0", L.tensor(2.0), np.int64(4))],
    "new_style": lambda w, L: [w.add_scalar("n", 1.25, 1, new_style=True),
                               w.add_scalar("d", 0.1, 2, new_style=True, double_precision=True),
                               w.add_scalar("z", 0.0, 2, new_style=True)],
    "scalars_subruns": lambda w, L: [w.add_scalars("run/a", {"x": 1.0, "y": 2}, 5),
                                     w.add_scalars("run/a", {"x": 3.0}, 6)],
    "histogram": lambda w, L: [w.add_histogram("h", L.tensor(np.linspace(-3, 5, 1001)), 2),
                               w.add_histogram("const", np.full(10, 3.0), 1),
                               w.add_histogram("zeros", np.zeros(4))],
    "histogram_bins": lambda w, L: [
        w.add_histogram("auto", np.random.default_rng(1).normal(size=500), 1, bins="auto"),
        w.add_histogram("fd", np.random.default_rng(2).normal(size=50), 1, bins="fd"),
        w.add_histogram("ten", np.arange(20.0), 1, bins=10, max_bins=3),
        w.add_histogram("max", np.random.default_rng(3).normal(size=300), 1, max_bins=40)],
    "histogram_raw": lambda w, L: [w.add_histogram_raw("r", 0, 5, 6, 15, 55, [1, 3, 5],
                                                       [2, 2, 2], 4)],
    "text": lambda w, L: [w.add_text("note", "hello **world** — ü", 1), w.add_text("e", "")],
    "image_chw": lambda w, L: [w.add_image("img", _image(L, (3, 8, 9)), 1)],
    "image_formats": lambda w, L: [
        w.add_image("hwc", _image(L, (6, 5, 3), "uint8"), 1, dataformats="HWC"),
        w.add_image("hw", _image(L, (6, 5)), 1, dataformats="HW"),
        w.add_image("wh", _image(L, (6, 5), "float64"), 1, dataformats="WH"),
        w.add_image("one", _image(L, (1, 4, 4)), 1),
        w.add_image("rgba", _image(L, (4, 7, 5)), 2),
        w.add_image("clip", L.tensor(np.linspace(-1, 2, 48).reshape(3, 4, 4)), 2)],
    "images": lambda w, L: [w.add_images("batch", _image(L, (10, 3, 5, 6)), 0),
                            w.add_images("gray", _image(L, (3, 1, 4, 4), "uint8"), 0),
                            w.add_images("nhwc", _image(L, (2, 4, 4, 3)), 0,
                                         dataformats="NHWC")],
    "image_large": lambda w, L: [w.add_image("big", _image(L, (3, 300, 260), seed=4), 0)],
    "tensor": lambda w, L: [w.add_tensor("f", L.tensor([[1.5, -2.0]]), 1),
                            w.add_tensor("d", L.tensor([0.1], dtype=L.float64)),
                            w.add_tensor("i", L.tensor([1, -2, 3]), 2),
                            w.add_tensor("i32", L.tensor([7, -8], dtype=L.int32)),
                            w.add_tensor("u8", L.tensor([0, 255], dtype=L.uint8)),
                            w.add_tensor("b", L.tensor([True, False])),
                            w.add_tensor("h", L.tensor([0.5, 2.0], dtype=L.float16))],
    "purge_step": lambda w, L: [w.add_scalar("a", 1.0, 11)],
    "reopen_after_close": lambda w, L: [w.add_scalar("a", 1.0, 1), w.close(), w.close(),
                                        w.add_scalar("a", 2.0, 2), w.flush()],
    "hparams": lambda w, L: [w.add_hparams(
        {"lr": 0.1, "opt": "sgd", "nesterov": True, "layers": 3, "none": None,
         "t": L.tensor([0.5])}, {"hp/acc": 0.9, "hp/loss": 0.1},
        hparam_domain_discrete={"opt": ["sgd", "adam"], "layers": [2, 3]},
        run_name="trial", global_step=3)],
}
WRITER_ARGS = {"purge_step": {"purge_step": 10}, "reopen_after_close": {},
               "scalars": {"filename_suffix": ".v2"}}


def _wall_time_free(record: bytes) -> bytes:
    """An Event's bytes without its wall time (field 1, a double: key 0x09 + 8 bytes)."""
    assert record[:1] == b"\x09"
    return record[9:]


def _file_order(path):
    """An event file's place among its run's: its time, then the writer's counter (the last
    part of the name, when there is no suffix)."""
    parts = os.path.basename(path).split(".")
    return int(parts[3]), int(parts[-1]) if parts[-1].isdigit() else 0


def _runs(root):
    """{run directory (relative): [the records of each event file, in order written]}."""
    runs = {}
    for path in sorted(glob.glob(os.path.join(root, "**", "events.out.tfevents.*"),
                                 recursive=True), key=_file_order):
        runs.setdefault(os.path.relpath(os.path.dirname(path), root), []).append(
            list(read_records(path)))
    return runs


def _decoded(record):
    """The Event without its wall time; the hparams plugin's content decoded (its map is
    serialized in hash order)."""
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData
    event = Event.FromString(record)
    event.wall_time = 0
    contents = []
    for value in event.summary.value:
        if value.metadata.plugin_data.plugin_name == "hparams":
            contents.append(HParamsPluginData.FromString(value.metadata.plugin_data.content))
            value.metadata.plugin_data.content = b""
    return event, contents


def _write(lib, writer_class, case, log_dir):
    writer = writer_class(log_dir, **WRITER_ARGS.get(case, {}))
    CASES[case](writer, lib)
    writer.close()


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_records_as_torch(case, tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    _write(torch, TorchWriter, case, str(tmp_path / "torch"))
    _write(tg, SummaryWriter, case, str(tmp_path / "ours"))
    theirs, ours = _runs(tmp_path / "torch"), _runs(tmp_path / "ours")
    assert sorted(ours) == sorted(theirs)
    for run in theirs:
        assert [len(f) for f in ours[run]] == [len(f) for f in theirs[run]], run
        for their_file, our_file in zip(theirs[run], ours[run]):
            for their_record, our_record in zip(their_file, our_file):
                assert _decoded(our_record) == _decoded(their_record)
                if not _decoded(their_record)[1]:          # no hparams map: same bytes
                    assert _wall_time_free(our_record) == _wall_time_free(their_record)


def test_file_name_first_record_and_times(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.compat.proto.event_pb2 import Event
    with SummaryWriter(tmp_path, filename_suffix=".x") as w:
        w.add_scalar("a", 1.0, 3, walltime=123.5)
        w.add_scalar("a", 2.0, 4)
        assert w.get_logdir() == tmp_path
    (path,) = glob.glob(str(tmp_path / "*"))
    pattern = rf"events\.out\.tfevents\.\d{{10}}\.{re.escape(socket.gethostname())}" \
              rf"\.{os.getpid()}\.\d+\.x"
    assert re.fullmatch(pattern, os.path.basename(path))
    first, at, now = (Event.FromString(r) for r in read_records(path))
    assert first.file_version == "brain.Event:2"
    assert (at.wall_time, at.step, now.step) == (123.5, 3, 4)
    assert abs(now.wall_time - first.wall_time) < 60


def test_default_log_dir_as_torchs(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    monkeypatch.chdir(tmp_path)
    dirs = []
    for cls in (TorchWriter, SummaryWriter):
        w = cls(comment="_lr0.1")
        w.close()
        dirs.append(w.get_logdir())
    shape = rf"runs{re.escape(os.sep)}[A-Z][a-z]{{2}}\d\d_\d\d-\d\d-\d\d_" \
            rf"{re.escape(socket.gethostname())}_lr0\.1"
    assert all(re.fullmatch(shape, d) for d in dirs), dirs
    assert glob.glob(os.path.join(dirs[1], "events.out.tfevents.*"))


def test_tensorboards_loader_reads_our_file(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    with SummaryWriter(tmp_path) as w:
        for step in range(5):
            w.add_scalar("loss", 1.0 / (step + 1), step)
        w.add_histogram("w", np.arange(10.0), 4)
        w.add_image("im", np.zeros((3, 2, 2)), 4)
    (path,) = glob.glob(str(tmp_path / "events*"))
    events = list(EventFileLoader(path).Load())
    assert len(events) == 8 and events[0].file_version == "brain.Event:2"
    # the loader turns simple_value scalars into tensors: read them back as TensorBoard does
    from tensorboard.util import tensor_util
    losses = [tensor_util.make_ndarray(e.summary.value[0].tensor).item() for e in events[1:6]]
    assert losses == pytest.approx([1.0, 0.5, 1 / 3, 0.25, 0.2])
    assert [e.step for e in events[1:]] == [0, 1, 2, 3, 4, 4, 4]


def test_writes_without_tensorboard_protobuf_pil_or_torch(tmp_path):
    code = f"""
import sys
for name in ("tensorboard", "google.protobuf", "PIL", "torch"):
    sys.modules[name] = None                     # importing any of them now fails
import numpy as np, tinygrad_sgd as tg
from tinygrad_sgd.utils.tensorboard import SummaryWriter
from tinygrad_sgd.utils.tensorboard.record import read_records
with SummaryWriter({str(tmp_path)!r}) as w:
    w.add_scalar("a", tg.tensor([1.5]), 1)
    w.add_histogram("h", tg.tensor([1.0, 2.0, 2.0]), 1)
    w.add_image("i", np.ones((3, 4, 4)), 1)
    w.add_text("t", "x", 1)
    w.add_hparams({{"lr": 0.1}}, {{"acc": 1.0}}, run_name="r")
import glob
n = [len(list(read_records(p))) for p in sorted(glob.glob({str(tmp_path)!r} + "/**/events*",
                                                         recursive=True))]
print(n)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[5, 5]"


def test_import_swap_resolves_to_ours():
    from tinygrad_sgd._torch_shim import torch_modules
    with torch_modules():
        from torch.utils.tensorboard import SummaryWriter as swapped
        import torch.utils.tensorboard.summary as summary
        import torch
        assert swapped is SummaryWriter
        assert torch.utils.tensorboard.SummaryWriter is SummaryWriter
        assert summary.hparams is tg.utils.tensorboard.summary.hparams
        with pytest.raises(NotImplementedError, match="RecordWriter is not provided"):
            torch.utils.tensorboard.RecordWriter
    assert tg.utils.tensorboard.SummaryWriter is SummaryWriter


# ------------------------------------------------------------------ PNG
PNG_SHAPES = [(4, 5, 3), (64, 80, 3), (300, 300, 4), (10, 10, 3), (5, 7, 2), (500, 400, 3)]


@pytest.mark.parametrize("shape", PNG_SHAPES, ids=str)
def test_png_as_pils(shape):
    PIL = pytest.importorskip("PIL")
    from PIL import Image, features
    rng = np.random.default_rng(sum(shape))
    pixels = (rng.integers(0, 256, shape) // rng.integers(1, 80)).astype(np.uint8)
    ours = encode_png(pixels)
    decoded = np.asarray(Image.open(io.BytesIO(ours)))
    assert np.array_equal(decoded.reshape(shape), pixels)
    if features.version("zlib") == zlib.ZLIB_RUNTIME_VERSION:    # same deflate: same bytes
        theirs = io.BytesIO()
        Image.fromarray(pixels).save(theirs, format="PNG")
        assert ours == theirs.getvalue(), PIL.__version__


def test_png_chunks_and_crcs():
    png = encode_png(np.zeros((2, 3, 3), np.uint8))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, kinds = 8, []
    while at < len(png):
        (n,) = struct.unpack(">I", png[at:at + 4])
        kind, data = png[at + 4:at + 8], png[at + 8:at + 8 + n]
        assert struct.unpack(">I", png[at + 8 + n:at + 12 + n])[0] == zlib.crc32(kind + data)
        kinds.append(kind)
        at += 12 + n
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]


# ------------------------------------------------------------------ errors, as torch's
ERRORS = [
    ("scalar_two_values", lambda w, L: w.add_scalar("a", np.array([1.0, 2.0]))),
    ("scalar_list", lambda w, L: w.add_scalar("a", [1.0])),
    ("histogram_empty", lambda w, L: w.add_histogram("h", np.array([]))),
    ("histogram_raw_lengths", lambda w, L: w.add_histogram_raw("h", 0, 1, 1, 1, 1, [1], [])),
    ("hparams_not_dict", lambda w, L: w.add_hparams([("lr", 1)], {})),
    ("hparams_domain", lambda w, L: w.add_hparams({"lr": 0.1}, {}, {"lr": ["a"]})),
    ("hparams_value", lambda w, L: w.add_hparams({"lr": [1]}, {})),
    ("image_format_twice", lambda w, L: w.add_image("i", np.zeros((3, 2, 2)),
                                                    dataformats="CCW")),
    ("image_format_rank", lambda w, L: w.add_image("i", np.zeros((2, 2)))),
    ("images_four_channels", lambda w, L: w.add_images("i", np.zeros((2, 4, 2, 2)))),
]


@pytest.mark.parametrize("name,call", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_as_torchs(name, call, tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    caught = []
    for lib, cls, sub in ((torch, TorchWriter, "t"), (tg, SummaryWriter, "o")):
        with cls(tmp_path / sub) as w, pytest.raises(Exception) as info:
            call(w, lib)
        caught.append((type(info.value), str(info.value)))
    assert caught[1] == caught[0]


@pytest.mark.parametrize("method", ["add_graph", "add_embedding", "add_audio", "add_video",
                                    "add_mesh", "add_pr_curve"])
def test_methods_not_written_say_so(method, tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(NotImplementedError,
                           match=f"SummaryWriter.{method} is not provided by tinygrad_sgd"):
            getattr(w, method)
        assert not hasattr(w, method)


def test_a_closed_file_writer_refuses_writes_as_tensorboards(tmp_path):
    w = SummaryWriter(tmp_path)
    file_writer = w.file_writer
    w.close()
    with pytest.raises(OSError, match="Writer is closed"):
        file_writer.add_summary(b"")
    file_writer.reopen()
    file_writer.add_summary(b"", 1)
    file_writer.close()
    assert sorted(len(list(read_records(p))) for p in glob.glob(str(tmp_path / "e*"))) == [1, 2]


def test_max_queue_flushes_to_disk(tmp_path):
    w = SummaryWriter(tmp_path, max_queue=2)
    (path,) = glob.glob(str(tmp_path / "events*"))
    w.add_scalar("a", 1.0, 1)
    assert len(list(read_records(path))) == 1           # one waits in the buffer
    w.add_scalar("a", 2.0, 2)
    assert len(list(read_records(path))) == 3           # the queue filled: flushed
    w.add_scalar("a", 3.0, 3)
    w.flush()
    assert len(list(read_records(path))) == 4
    w.close()


def test_add_figure_as_torchs(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("tensorboard")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    records = []
    for cls, sub in ((TorchWriter, "t"), (SummaryWriter, "o")):
        with cls(tmp_path / sub) as w:
            fig = plt.figure(figsize=(2, 1.5), dpi=40)
            plt.plot([0, 1, 0])
            w.add_figure("fig", fig, 1)
            w.add_figure("figs", [plt.figure(figsize=(1, 1), dpi=30) for _ in range(2)], 2)
        (path,) = glob.glob(str(tmp_path / sub / "events*"))
        records.append([_wall_time_free(r) for r in read_records(path)])
    assert records[1] == records[0]


def test_a_background_thread_flushes_every_flush_secs(tmp_path):
    w = SummaryWriter(tmp_path, max_queue=100, flush_secs=0.2)
    (path,) = glob.glob(str(tmp_path / "events*"))
    w.add_scalar("a", 1.0, 1)
    assert len(list(read_records(path))) == 1           # it waits in the buffer...
    deadline = time.time() + 10
    while len(list(read_records(path))) < 2 and time.time() < deadline:
        time.sleep(0.05)                                 # ...until the thread flushes it
    assert len(list(read_records(path))) == 2
    thread = w.file_writer._flusher
    assert thread.daemon and thread.is_alive() and thread in threading.enumerate()
    w.close()
    assert not thread.is_alive()
