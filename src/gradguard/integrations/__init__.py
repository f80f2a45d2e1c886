"""Integrations with trainers that run the loop themselves, each behind its extra and imported only when used.

* :mod:`gradguard.integrations.lightning` -- ``GradGuardCallback`` for PyTorch Lightning
  (``pip install "gradguard[lightning]"``).
* :mod:`gradguard.integrations.hf` -- ``GradGuardTrainerCallback`` for the Hugging Face Transformers ``Trainer``
  (``pip install "gradguard[hf]"``).
* :mod:`gradguard.integrations.culprits` -- ``CulpritSampler``: how both callbacks name and drop the culprit
  samples of an attributed spike (``drop_culprits=True``), usable with any ``DataLoader``.

Importing this package imports neither trainer.
"""

from __future__ import annotations

__all__: list[str] = []
