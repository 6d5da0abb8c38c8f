"""Random numbers that match PyTorch's CPU generator, draw for draw.

After ``manual_seed(s)`` here and ``torch.manual_seed(s)`` there, the same sequence of calls gives
the same numbers. This package is the NumPy layer: its functions return NumPy arrays, and the
library's random Tensors (``tinygrad_sgd.rand``, ``x.uniform_()``, ``nn.init``, dropout, the
DataLoader's shuffling — :mod:`tinygrad_sgd.functions.random`) all draw through it, from one
default generator. Everything is NumPy (torch is never imported) and vectorised: no Python loop
runs per element.

Files: :mod:`.generator` (the MT19937 engine, state bytes, the default generator,
``fork_rng``), :mod:`.exact` (fused multiply-add), :mod:`.box_muller` (uniforms to normals),
:mod:`.distributions` (uniform, normal, exponential, Bernoulli, dropout, initialisers),
:mod:`.sampling` (randint, random_, randperm, multinomial, data orders), :mod:`.poisson`.

The functions here fill arrays in C order. The order torch fills a tensor in — its memory
order, so a transposed view is filled as the contiguous tensor it views — is the Tensor
layer's business (:mod:`tinygrad_sgd.functions.random`): it asks for the permuted shape and
transposes back.

How torch makes its numbers (read from the source of torch 2.13 and checked against the
installed x86-64 build; the notes in each function say what it draws)
--------------------------------------------------------------------------------------------------
* **The engine** (``ATen/core/MT19937RNGEngine.h``) is the 32-bit Mersenne Twister MT19937 seeded
  by the reference ``init_genrand`` with the low 32 bits of the seed — the stream of NumPy's
  ``np.random.MT19937``, which this module drives through its public ``state``. ``random()`` is
  one 32-bit output; ``random64()`` joins two, the first as the high half.
* **Uniform floats**: float32 takes the low 24 bits of one ``random()`` times 2^-24; float64
  the low 53 bits of one ``random64()`` times 2^-53. ``uniform_(a, b)`` then computes
  ``fma(x, b - a, a)`` (the compiler fuses the multiply-add) and maps ``b`` to ``a``.
* **Normals**: a contiguous tensor of >= 16 elements is filled with uniforms and turned into
  normals 16 at a time by Box–Muller (the first 8 of a block give the radii, the last 8 the
  angles); when the size is not a multiple of 16 the last 16 elements are drawn again and
  transformed again. float32 uses torch's AVX2 polynomials for log and sin/cos
  (``avx_mathfun.h``) as compiled — with fused multiply-adds — and this module replays them
  operation for operation. Smaller tensors, and non-contiguous ones of any size, draw one pair
  of float64 uniforms per two normals, the second normal cached in the generator for the next
  call (``normal(..., serial=True)``).
* **float16** is drawn through float32 (torch's "opmath" type): uniforms from 24 bits, the
  Box–Muller blocks in float32 (each block's uniforms drawn as it goes, so the ``n % 16``
  uniforms float32 draws and then overwrites are not drawn), then rounded; the float64 draws
  (exponential, the per-element normals, ...) reach float16 by way of float32, as C++'s
  ``static_cast<c10::Half>(double)``.
* **Poisson** (:mod:`.poisson`): torch's ``sample_poisson``, element by element.
* **Integers**: ``randint`` is ``random() % range`` (``random64()`` when the range is >= 2^28)
  plus ``low``; ``randperm`` is a Fisher–Yates shuffle driven by ``random() % (n - i)`` (an
  "inside-out" shuffle on ``random64()`` from n = 2^32 / 20 on). ``random_()`` without bounds
  is ``random() % (max + 1)`` for the dtype (``random64()`` for int64 and float64; a float
  dtype's max is 2^digits, the last integer it holds exactly).
* **Bernoulli**: ``Tensor.bernoulli_(p)`` with a float p (and so dropout) compares one float64
  uniform per element with p. This build carries no MKL VSL stream (its symbols are absent from
  ``libtorch_cpu.so``, and the kernel's disassembly calls the MT19937 path directly), so there is
  no MCG31 path to reproduce. ``torch.bernoulli(p_tensor)`` uses float32 uniforms for a float32
  p and float64 uniforms for a float64 p.
* **Multinomial**: without replacement — or with replacement and one sample — torch draws
  ``q ~ Exp(1)`` of the probabilities' shape and takes ``argmax``/``topk`` of ``p / q``. With
  replacement and several samples it builds each row's cumulative distribution and
  binary-searches one float64 uniform per sample.

Exactness
---------
Bit-exact (``np.array_equal``) with torch 2.13 on x86-64 CPUs with AVX2 (torch runs the same
AVX2 kernels on AVX-512 CPUs): ``rand``, ``uniform``, ``randn``, ``normal``, ``randint``,
``randperm``, ``bernoulli``, ``dropout_mask``, ``exponential``, ``multinomial``, ``poisson``,
``kaiming_uniform``, ``random_sampler_order``, ``dataloader_order`` (float16 included where
torch draws it), the generator state
(``get_state`` returns the 5056 bytes of ``torch.get_rng_state()``), and ``trunc_normal`` when
``[a, b]`` holds more than 30% of the mass (the default ``a=-2, b=2`` does).
Float64 normals, small (< 16 element) normals of either dtype, exponentials and so
multinomial without replacement call the C library's float64 ``log``, ``log1p``, ``sin`` and
``cos``, as torch does, through :mod:`tinygrad_sgd.kernels.libm`: NumPy's own loops where they
agree with the C library (CPUs without AVX-512), element by element through ``math`` where
they don't (on AVX-512 CPUs NumPy's vectorised versions are up to 1 ulp away).

Not bit-exact:

* ``trunc_normal`` with a narrow window (``[a, b]`` holding <= 30% of the mass) uses torch's
  rejection sampler, whose accept test compares a ``log`` in the dtype — torch's vectorised
  (SLEEF) one there, a correctly rounded (float32) or C library (float64) one here. The draws
  are the same; a sample can differ only when an accept test lands within 1 ulp of its
  threshold (none did in the tests).
* ``multinomial`` without replacement orders tied values of ``p / q`` by index. Ties are the
  zero-probability categories, which are drawn only once the non-zero ones run out (and, in
  float16, scores that round to the same value); torch's ``topk`` orders those by its
  ``std::nth_element``/``std::sort``, which is not replayed. The samples before them match.
* torch's DEFAULT CPU kernels — on x86 CPUs without AVX2, or under
  ``ATEN_CPU_CAPABILITY=default`` — make float32 normals with the C library's ``logf``/
  ``sinf``/``cosf`` instead of the AVX2 polynomials: other values (39% of 100 000 differ, by up
  to 3e-3 relative). Their uniforms and float64 normals agreed (100 000 of each checked).
  This module follows the AVX2 kernels, which torch also runs on AVX-512 machines (the wheel
  has no AVX-512 build of its distribution kernels). ARM builds are not covered.
"""

from .generator import (Generator, default_generator, manual_seed, seed, initial_seed,
                        get_rng_state, set_rng_state, fork_rng)
from .distributions import (rand, randn, uniform, normal, exponential, bernoulli, dropout_mask,
                            trunc_normal, kaiming_uniform, calculate_gain)
from .poisson import poisson
from .gamma import standard_gamma, sample_dirichlet, standard_gamma_grad, dirichlet_grad, binomial
from .sampling import (randint, random_fill, randperm, multinomial, random_sampler_order,
                       dataloader_order)

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "fork_rng", "rand", "randn", "uniform", "normal",
           "randint", "random_fill", "randperm", "bernoulli", "dropout_mask", "multinomial",
           "exponential", "poisson", "standard_gamma", "sample_dirichlet", "standard_gamma_grad",
           "dirichlet_grad", "binomial",
           "trunc_normal", "kaiming_uniform", "calculate_gain", "random_sampler_order",
           "dataloader_order"]


def thread_safe_generator():
    """``torch.random.thread_safe_generator``: a thread worker's own generator, else None
    (the default one) — :func:`tinygrad_sgd.thread_safe_generator`, imported when called
    (the Tensor layer imports this package)."""
    from ..functions.removed import thread_safe_generator as top_level
    return top_level()


__all__ += ["thread_safe_generator"]
