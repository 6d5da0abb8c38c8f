"""Opt-in (``pytest -m slow``): one epoch on 10,000 Fashion-MNIST images, ours and torch from
the same weights and batch order; ours must reach the accuracy level torch reaches on that
run, within 3 points: the two draw different dropout masks, and over seeds 0–3 the
difference was −1.6, −1.0, −0.5 and +2.6 points."""
import sys
from pathlib import Path

import pytest

FASHION = Path("/usr/share/datasets/fashion-mnist")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


@pytest.mark.slow
@pytest.mark.skipif(not FASHION.is_dir(), reason="needs Debian's dataset-fashion-mnist")
def test_one_epoch_on_10000_fashion_images_reaches_torch_accuracy():
    from accuracy_fashion import train_both
    res = train_both(n_train=10_000, epochs=1, seed=0, log=lambda *a: None)
    assert res["torch"] > 0.6                     # the run itself is meaningful
    assert res["ours"] >= res["torch"] - 0.03, res
