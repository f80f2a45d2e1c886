"""After a spike: replay it to attribute it to data, state or hardware, and name the samples behind it.

- :class:`AttributeSpikes`: a policy member that replays each ``loss_spike``, ``explode`` or ``nonfinite`` step on
  the alarm path (before the step is applied) and stores the result in the event's evidence under
  ``"attribution"``: ``{"verdict": "data" | "state" | "hardware", "culprit_samples": [...], "checks": {...},
  "numbers": {...}, "cost_s": ...}``.
- :class:`AttributeClips` / :func:`attributed`: the same for a step the policy clips below 0.1 of its norm (a
  corrupted sample the clip absorbs raises no spike event); the guard's ``clip`` event carries the result.
- :func:`attribute_step`: the replay itself, for a model, a batch and what the step recorded (a :class:`Replay`).
- :func:`check_samples`: data checks on samples (repeated n-grams, runs of one token, out-of-range values,
  near-duplicates).
- :mod:`gradguard.attribution.ddp`: the same under DDP, every rank in step, the same verdict on every rank.

``guard.attribute(event)`` and ``gradguard attribute FLIGHT_RECORD`` use the same replay; ``guard.batches(loader,
drop_culprits=True)`` drops the named samples only.
"""

from .checks import check_samples
from .clips import AttributeClips, attributed
from .keeper import AttributeSpikes, attribute_event, find_attributor
from .replay import SPIKE_KINDS, VERDICTS, Replay, attribute_step
from .samples import rank_samples

__all__ = ["SPIKE_KINDS", "VERDICTS", "AttributeClips", "AttributeSpikes", "Replay", "attribute_event",
           "attribute_step", "attributed", "check_samples", "find_attributor", "rank_samples"]
