"""The speed machinery: what the ops call to be fast. Kernels compute on NumPy arrays and
never build graph nodes; the op classes in :mod:`tinygrad_sgd.ops` say *what* is computed
(the formula, on one screen), the functions here say *how fast*.

The memory layout: batch innermost
----------------------------------
The public shapes of images are torch's ``(N, C, H, W)``. Inside convolution and pooling the
arrays are kept ``(C, H, W, N)`` in memory — the batch innermost — and an NCHW *view* of that
memory is what the user sees (:func:`layout.to_chwn`, :func:`layout.from_chwn`). Why:

* **im2col copies are long and contiguous.** A convolution is the matrix product
  ``W (F, C·kh·kw) @ cols (C·kh·kw, OH·OW·N)``. With the batch innermost, each column entry
  ``x[c, oh·s + i, ow·s + j, :]`` is a run of N consecutive numbers, so building ``cols`` moves
  long runs instead of single floats (:mod:`.conv`).
* **Slabs that stay in cache.** The columns are copied a cache-sized slab of output rows at a
  time and multiplied at once, so the 25×-the-input column matrix never goes out to memory
  (:func:`conv.conv2d_forward`); products are cut in column slabs of ~256 KB.
* **Pooling and relu need no transposes**, and flattening ``(N, C, H, W) → (N, C·H·W)`` for a
  linear layer is a free view of the ``(C·H·W, N)`` memory (its transpose).
* **Max-pool masks** record, per window element, whether it is the window's *first* maximum
  (torch's tie rule) with a few boolean passes (:mod:`.pool`).

Two cores (:mod:`.threads`): NumPy releases the GIL inside copies and BLAS, so big copies and
products are split into one contiguous chunk per thread, with BLAS single-threaded inside each
chunk; with the compiled kernels the workers wait for work spinning without the GIL, so a
hand-over costs ~15–20 µs instead of a sleeping thread's wake-up. :mod:`.buffers` hands the kernels' big arrays out again once nobody references them
(no fresh pages to fault in every step); :mod:`.allocator` is the opt-in, process-wide glibc
setting that keeps freed big blocks for reuse.

Two kernel sets (:mod:`.backend`): these NumPy kernels are the readable reference; when numba
is importable (a dependency of the package) compiled twins of the hottest ones
(:mod:`.compiled`: direct convolution for few channels — forward, input and weight
gradients, five filters a pass —, im2col/col2im, the input gradient by cached blocks, max
pooling, GELU, softmax, layer norm, Adam's update) run in their place. :mod:`.libm` gives
the C library's float64 log/log1p/sin/cos/pow over arrays, as torch calls them. ``backend()`` says which set is active;
``TINYGRAD_SGD_KERNELS=numpy|numba`` forces one.
"""
from . import layout, conv, pool, elementwise, reduce, linalg, loss, optim, random, threads, allocator, buffers, softmax  # noqa: F401,E501
from .backend import backend, set_backend  # noqa: F401,E402  (the function shadows the module)
