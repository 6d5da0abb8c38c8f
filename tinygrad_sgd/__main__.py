"""``python -m tinygrad_sgd`` runs the ``tinygrad-sgd`` command."""
import sys

from .cli import main

sys.exit(main())
