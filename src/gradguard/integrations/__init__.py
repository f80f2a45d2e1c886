"""Integrations with trainers that run the loop themselves, each behind its extra and imported only when used.

* :mod:`gradguard.integrations.lightning` -- ``GradGuardCallback`` for PyTorch Lightning
  (``pip install "gradguard[lightning]"``).
* :mod:`gradguard.integrations.hf` -- ``GradGuardTrainerCallback`` for the Hugging Face Transformers ``Trainer``
  (``pip install "gradguard[hf]"``).

Importing this package imports neither trainer.
"""

from __future__ import annotations

__all__: list[str] = []
