"""How the measured quantities explain each other: trouble is attributed to its most upstream cause.

The model (each arrow: the quantity on the left sets the one on the right)::

    input scale ──┐
    init gain ────┼──> signal and gradient scale per layer ──> step size (lr x optimizer) ──> loss after the step
    activations ──┤        (compounding through depth,
    recurrence ───┘         recurrent radius over time)

* A finding is a *root cause* when its own measured quantity is off its healthy band (see each module).
* The step is a cause (``lr``) only when the gradients it is made of are of healthy scale: for optimizers whose
  step is proportional to the gradient (SGD and the like), a too-large step while an upstream cause inflates the
  gradient (out-of-scale inputs, too-large init, growth through depth or over time) is that cause's consequence;
  for Adam-family optimizers the step is about lr per element whatever the gradient's scale, so it stays ``lr``
  unless that step is a sane fraction of the weights (``ADAM_SANE_RATIO``) and the loss rises along it because the
  signal the weights multiply is inflated upstream (inputs out of scale, or an init too large): then it is theirs.
  When no lr down to lr/1024 helps, the step's direction is wrong and any upstream cause takes it.
* Growth or decay of the gradient across the weight layers (``depth``/``normalization``) in the direction a
  recurrence finding measures over time is the recurrence's consequence: the layers around a recurrence that is
  unrolled inline (an element-wise ``u * h`` loop) carry its compounding.
* A non-finite value that out-of-scale inputs produce downstream (an overflow in the first layers) is the data's
  consequence, not a ``numeric`` cause. Likewise every quantity measured on the signal those inputs start
  (``BATCH_MEASURED``: saturation, decay over time steps, compounding through depth): the model's weights are not
  what sets that signal's scale, so these are the data's consequences whatever their direction.
* Most of the model's weights initialised too large (``init``'s ``model_wide`` evidence: more than half of every
  weight, recurrent ones included, > 1.9x its scale) set the recurrent weights' scale too: a recurrence whose
  gradient grows over time is then the init's consequence (seen halves: an attention seq2seq at N(0, 1), 11 of 13
  weights too large; the recurrence faults have at most 1 of 3 to 6).
* Weight decay judged at a schedule's peak lr (``peak_lr_over_checked_lr`` > 1) while that peak is itself too high
  for Adam (:func:`.mistakes.peak_lr_findings`) is the peak's consequence when, at the lr that brings the step to
  the gate, the decay's shrink per step would be under its warning level: the decay's shrink is lr x wd.
* Weight decay that removes too much of the weights a step at an lr that an ``lr`` finding calls too high is the lr's
  consequence when at that finding's suggested lr the shrink would be under its warning level: the shrink is
  proportional to the lr (``lr x wd``, or Adam's coupled decay: a share of a step of about lr per element).
* Weights far above their init scale with no weight decay (``regularization``) are, before any optimizer step, the
  too-large-init finding on the same layers: nothing has grown them yet.
* Saturated tanh/sigmoid units fed by weights initialised ``SATURATING_INIT`` (3) times their scheme's std or more
  are the init's consequence: the remedy is the init, not another activation.
* Softmaxes between the weight layers (a hidden activation, :mod:`.softmax_hidden`) come before a gradient that
  shrinks across the stack (``depth``/``normalization``, direction -1).
* A constant matrix applied several times in series that rescales the signal by decades (an unnormalised graph
  propagation, :mod:`.hops`) comes before whatever is measured on that signal (``BATCH_MEASURED``).
* A loss that overflows on finite but huge module outputs is the consequence of a finding that grows the signal
  (recurrence, init or depth with direction +1).
* A normalisation that outputs its bias whatever the input (groups of one element, :mod:`.slips`) leaves every
  layer after it without signal: dead activations and gradient decay measured on the batch are its consequences.
* Weights that training has already moved (the optimizer holds state) are not an initialisation problem: a
  mis-scaled-weights finding becomes ``regularization`` (no weight decay) or ``lr`` (with weight decay).

A consequence is demoted to ``info`` and says whose consequence it is; its cause takes its severity and score when
those are higher and lists it under ``evidence["consequences"]``.

After this model, by default where the copies are affordable (``check``'s ``confirm_steps``),
:func:`.confirm.confirm` intervenes: a few training steps on copies, as set up and with one cause removed. An
``init`` finding whose remedy does not improve them is demoted; a run that no finding explains but that diverges is
attributed to the first remedy that restores it.
"""

from __future__ import annotations

from .absorb import absorb as _absorb
from .absorb import direction as _direction
from .absorb import strong as _strong
from .adaptive import excuse_missing_norm
from .decay_explained import decay_explained
from .findings import Finding
from .probe_records import HUGE_OUTPUT_RMS

__all__ = ["BATCH_MEASURED", "UPSTREAM", "explain"]

#: causes upstream of the gradient's scale, most upstream first
UPSTREAM: tuple[str, ...] = ("data", "init", "activation", "recurrence", "normalization", "depth")
#: causes measured on the signal the batch starts (not on the weights alone): downstream of the inputs' scale
BATCH_MEASURED: tuple[str, ...] = ("activation", "recurrence", "normalization", "depth")


#: causes that inflate the signal every weight multiplies (inputs out of scale, weights initialised too large)
INFLATING: tuple[str, ...] = ("data", "init")
#: weights feeding a saturating activation at this many times their scheme's std (or more) explain its saturation
SATURATING_INIT = 3.0
#: an Adam-family first step that moves the median weight matrix by at most this fraction of its norm is sane in
#: weight space (a tenth of ``optim_check.ADAM_RATIO_WARN``; usual settings reach 0.05)
ADAM_SANE_RATIO = 0.3


def _sane_in_weight_space(lr: Finding) -> bool:
    """An Adam-family ``lr`` finding raised by the loss along the step alone: each element moves by about lr, a
    small fraction of its weight, but the loss rises because what the weights multiply is large."""
    bulk = lr.evidence.get("update_to_weight_median")
    return isinstance(bulk, int | float) and 0 < bulk <= ADAM_SANE_RATIO


def _pick(findings: list[Finding], causes: tuple[str, ...], direction: int | None) -> Finding | None:
    found = [f for f in findings if _strong(f) and f.cause in causes
             and (direction is None or _direction(f) == direction)]
    if not found:
        return None
    return max(found, key=lambda f: (f.rank_key, -causes.index(f.cause)))


def explain(findings: list[Finding], step_family: str | None = None, trained: bool = False,
            weight_decay: bool = False, fresh: bool | None = None) -> list[Finding]:
    """Apply the model above to the findings of one check, in place; returns them. ``fresh``: no optimizer step
    taken yet (None: not known, e.g. SGD without momentum keeps no state to tell by)."""
    if trained:
        for f in findings:
            if f.cause == "init" and _strong(f):
                f.cause = "lr" if weight_decay else "regularization"
                f.message = ("Training has already moved these weights (the optimizer holds state), so this is "
                             "not their initialisation: " + f.message)
                f.prescription = ("Lower the learning rate and add weight decay so the weights stop growing; "
                                  "re-initialising would throw the training away." if f.cause == "regularization"
                                  else "Lower the learning rate (or clip gradients) so the updates stop growing "
                                  "the weights; re-initialising would throw the training away.")
                f.code = ""
                f.evidence["trained"] = True
    frozen = next((f for f in findings if "frozen_zero_weights" in f.evidence), None)
    if frozen is not None:  # a frozen table of zeros feeds nothing: the gradients behind it are 0 (frozen_zero.py)
        for f in findings:
            if ("no_gradient_share" in f.evidence or "least_repeated_share" in f.evidence) and _strong(f):
                _absorb(frozen, f, "a frozen weight of zeros feeds every layer after it nothing")
    gate = next((f for f in findings if "shut_gates" in f.evidence and _strong(f) and _gate_passes_nothing(f)), None)
    if gate is not None:  # a gate at exactly 0 or 1 multiplies the gradient to what it gates by exactly 0 (fresh76's
        # GCRN at update-gate bias +20: "100% of the parameters get no gradient" ranked above the gates, activation)
        for f in findings:
            if "no_gradient_share" in f.evidence and _strong(f):
                _absorb(gate, f, "the gates, saturated to exactly 0 or 1, pass no gradient to what they gate")
    gains = next((f for f in findings if ("stuck_zero_gains" in f.evidence or "zero_weight_matrices" in f.evidence
                                          or f.evidence.get("all_zero") is True) and _strong(f)), None)
    if gains is not None:  # a zero normalisation scale or a zero matrix no gradient moves outputs a constant: the
        # units after it are dead and read one input (fresh45's Music Transformer with its tied table zeroed;
        # fresh48's NPLM with every weight at 0)
        for f in findings:
            if f is not gains and ("no_gradient_share" in f.evidence or "least_repeated_share" in f.evidence
                                   or "dead_fraction" in f.evidence) and _strong(f):
                _absorb(gains, f, "weights stuck at 0 output a constant, and the units after them read it")
    lookup = next((f for f in findings if f.cause == "data" and "tables" in f.evidence and _strong(f)), None)
    if lookup is not None:  # every lookup reads one row (lookups.py): the rows no id reaches get no gradient
        for f in findings:
            if f is not lookup and "no_gradient_share" in f.evidence and _strong(f) and set(f.layers) <= \
                    set(lookup.layers):
                _absorb(lookup, f, "no lookup reaches the table's other rows, so they get no gradient")
    data = _pick(findings, ("data",), 1)
    if data is not None:
        for f in findings:
            if f.cause == "numeric" and _strong(f) and not _target_too_small_to_overflow(data, f) \
                    and not f.evidence.get("nonfinite_at_unit_scale"):  # a 0/0 at any scale (gates.py)
                _absorb(data, f, "out-of-scale inputs overflow downstream")
            elif f.cause in BATCH_MEASURED and _strong(f):
                _absorb(data, f, "it is measured on the signal the out-of-scale inputs start")
    if step_family == "adam":
        excuse_missing_norm(findings)
    _stream_absorbs_convention_init(findings)
    _init_absorbs_saturation(findings)
    _costless_saturation(findings)
    _growth_absorbs_loss_overflow(findings)
    curved = next((f for f in findings if f.evidence.get("loss_differentiates_relu") and _strong(f)), None)
    if curved is not None:
        for f in [f for f in findings if f.cause == "recurrence" and _strong(f)]:
            if f.evidence.get("kind") == "matrix recurrence":  # a weight's uses are the loss's derivative passes
                _absorb(curved, f, "the weight's repeated uses are the loss's derivative passes through the ReLUs, "
                                   "not time steps, and the ReLUs' zero curvature silences the later ones")
    _wide_init_absorbs_forward_overflow(findings, trained)
    soft = next((f for f in findings if "hidden_softmaxes" in f.evidence and _strong(f)), None)
    if soft is not None:  # softmaxes between the layers shrink the gradient by about the width each
        for f in findings:
            if f.cause in ("depth", "normalization") and _strong(f) and _direction(f) < 0:
                _absorb(soft, f, "each hidden softmax shrinks the gradient by about its layer's width")
    hops = next((f for f in findings if ("propagation_hops" in f.evidence or "propagation_uses" in f.evidence)
                 and _strong(f)), None)
    if hops is not None:  # a propagation that rescales the signal by decades: what is measured on it follows
        for f in findings:
            if f is not hops and f.cause in BATCH_MEASURED and _strong(f):
                _absorb(hops, f, "it is measured on the signal the unnormalised propagation rescales")
    drawn = next((f for f in findings if "drawn_like_weights" in f.evidence and _strong(f)), None)
    if drawn is not None:  # normalisation scales of ~0.02 shrink the signal at every block (normscale.py)
        for f in findings:
            if f is not drawn and f.cause in ("init", "depth") and _strong(f) and _direction(f) < 0:
                _absorb(drawn, f, "every normalisation layer multiplies its output by its tiny scale")
    if not trained:  # before any step, weights far above their init scale are their initialisation, not growth
        grown = [f for f in findings if f.cause == "regularization" and _strong(f)
                 and "weight_std_over_init_scale" in f.evidence]
        for f in grown:
            # an init finding that blows up, or a recurrence one on the same layers (a recurrent weight drawn
            # N(0, 10^2): fresh24's CBHG GRU, whose gate radius ~50 was ranked below the 'no weight decay' reading)
            big = next((b for b in findings if _strong(b) and set(f.layers) & set(b.layers) and (
                (b.cause == "init" and _direction(b) > 0) or b.cause == "recurrence")), None)
            if big is not None:
                _absorb(big, f, "before any step, the weights' size is their initialisation, not growth")
                continue
            # no strong finding to hand it to. Known to be before any step: the weights' size is their
            # initialisation (or a loaded checkpoint's), never growth, and an init finding on those layers that blew
            # nothing up measured it already. Not known (SGD without momentum keeps no state): say both readings
            # (Lightning's demo Transformer at N(0, 1) under SGD 0.1 was told only "weights up to 33x their init
            # scale and no weight decay")
            if fresh:
                f.severity, f.score = "info", min(f.score, 0.1)
                f.evidence["before_training"] = "no optimizer step taken yet: the weights' size is their initialisation"
            elif fresh is None:
                f.message += (" (If no step has been taken yet, they were initialised so: the optimizer keeps no "
                              "state to tell by; pass steps_done=0 and see the init finding.)")
    flat = next((f for f in findings if f.evidence.get("constant_output") and _strong(f)), None)
    if flat is not None:
        for f in findings:
            if f is not flat and f.cause in BATCH_MEASURED and _strong(f):
                _absorb(flat, f, "the layers after a normalisation that outputs its bias see no signal")
    wide = next((f for f in findings if f.cause == "init" and "model_wide" in f.evidence and not trained), None)
    grown = [f for f in findings if f.cause == "recurrence" and _strong(f) and _direction(f) > 0]
    if wide is not None and grown:
        for f in grown:
            _absorb(wide, f, "the whole model is initialised too large, its recurrent weights with it")
        wide.confidence = 0.7
        wide.message = (f"The model is initialised too large ({wide.evidence['model_wide']}), recurrent weights "
                        "included: the gradient grows over the time steps because of it.")
        wide.prescription = ("Re-initialise with the scheme each layer's activation wants (orthogonal recurrent "
                             "weights, He/Xavier elsewhere); fix(model, diagnosis) does it.")
        wide.code = ("from gradguard.diagnosis import fix\n"
                     "changes = fix(model, diagnosis)  # re-initialises these layers")
    for rec in [f for f in findings if f.cause == "recurrence" and _strong(f) and _direction(f)]:
        for f in findings:
            if f.cause in ("depth", "normalization") and _strong(f) and _direction(f) == _direction(rec):
                _absorb(rec, f, "the gradient compounds over the recurrence's time steps")
    decay_explained(findings, step_family)
    # a step judged too large may be the consequence of the gradient's scale; a schedule holding the lr at 0 is not
    for lr in [f for f in findings if f.cause == "lr" and _strong(f) and "trained" not in f.evidence
               and "zero_lr_steps" not in f.evidence]:
        no_lr_helps = lr.evidence.get("suggested_lr") is None
        proportional = step_family != "adam"
        upstream = _pick(findings, UPSTREAM, 1) if proportional else None
        why = "the step is large because the gradient is"
        if upstream is None and not proportional and _sane_in_weight_space(lr):
            upstream = _pick(findings, INFLATING, 1)
            why = "the step is sane for the weights' scale; the signal they multiply is inflated upstream"
        if upstream is None and no_lr_helps:
            upstream = _pick(findings, UPSTREAM, None)
            why = "no smaller lr makes the step lower the loss"
        if upstream is None and proportional:
            upstream = _recipe_without_norm(findings)
            why = "the step is a BatchNorm recipe's, and nothing normalises to absorb the weight growth it causes"
        if upstream is None and proportional:
            upstream = _wide_init_behind_sgd_step(findings, lr)
            why = ("at a usual rate the step is this large only because the gradient is, and every weight it "
                   "multiplies is initialised too large")
        if upstream is not None:
            _absorb(upstream, lr, why)
    return findings


#: a gate that lets at most this share of the gradient through passes none in float32 (sigmoid(17) rounds to 1)
GATE_PASSES_NOTHING = 1e-7


def _gate_passes_nothing(f: Finding) -> bool:
    """A shut-gates finding (:mod:`.closed_gates`) whose gates are all within :data:`GATE_PASSES_NOTHING` of 0 or 1."""
    span = f.evidence.get("gate_output_range")
    if not (isinstance(span, list) and len(span) == 2 and all(isinstance(v, int | float) for v in span)):
        return False
    low, high = float(span[0]), float(span[1])
    return high <= GATE_PASSES_NOTHING or 1.0 - low <= GATE_PASSES_NOTHING


#: the largest effective SGD step of the BatchNorm recipes (lr 0.2 with momentum 0.9: :mod:`.normless`); beyond it
#: the step is too large with or without normalisation
RECIPE_MAX_EFFECTIVE_LR = 2.0


def _recipe_without_norm(findings: list[Finding]) -> Finding | None:
    """The :mod:`.normless` finding (a conv net with nothing that normalises at a BatchNorm recipe's SGD step) when
    the step is within the recipes' range and the model holds normalisation modules that ran without normalising
    (``inert_normalisations``): the step judged too large is that recipe's, the broken normalisation its cause
    (fresh63's ParNet with its hand-written BatchNorm's precedence slip, ``x - mean / sqrt(var)``, at SGD 0.1
    momentum 0.9: told ``lr``). A net made without normalisation at such a step stays ``lr`` (fresh55's SSD, VGG-based
    and BatchNorm-free, at SGD 0.05 momentum 0.9)."""
    for f in findings:
        eff = f.evidence.get("effective_lr")
        if "warn_at_effective_lr" in f.evidence and _strong(f) and isinstance(eff, int | float) \
                and eff <= RECIPE_MAX_EFFECTIVE_LR and f.evidence.get("inert_normalisations"):
            return f
    return None


def _target_too_small_to_overflow(data: Finding, numeric: Finding) -> bool:
    """Whether ``data`` is about targets only, all below ``HUGE_OUTPUT``, and ``numeric`` a loss that overflows on
    finite outputs: a target of a few hundred cannot overflow a loss by itself; something inside the loss does
    (fresh47's AGCRN with its scaler's standard deviation computed in float16: inf, told ``data``)."""
    tensors = {k: v for k, v in data.evidence.items() if isinstance(v, dict) and k.split("_")[0] in ("input", "target")}
    return bool(numeric.evidence.get("model_outputs_finite")) and bool(tensors) and \
        all(k.startswith("target_") and float(v.get("max_abs", 0.0)) < HUGE_OUTPUT for k, v in tensors.items())


def _stream_absorbs_convention_init(findings: list[Finding]) -> None:
    """A residual stream with no normalisation anywhere (plain_stack's reading) makes the transformer convention
    N(0, 0.02) too small: that init is made for blocks that read a LayerNorm'd stream, so the too-small init the
    propagation measures is the missing norm's consequence (fresh46's SimMIM without its LayerNorms: told ``init``,
    0.16x)."""
    from .init_check import CONVENTION_STD

    stream = next((f for f in findings if "residual_blocks" in f.evidence and _strong(f)), None)
    if stream is None:
        return
    for f in findings:
        layers = f.evidence.get("layers")
        if f.cause != "init" or not _strong(f) or _direction(f) >= 0 or not isinstance(layers, dict):
            continue
        stds = [float(v.get("std", 0.0)) for v in layers.values() if isinstance(v, dict)]
        if stds and 2 * sum(CONVENTION_STD[0] <= x <= CONVENTION_STD[1] for x in stds) > len(stds):
            _absorb(stream, f, "N(0, 0.02) is the scale for blocks that read a normalised stream")


def _init_absorbs_saturation(findings: list[Finding]) -> None:
    """Saturated tanh/sigmoid units fed by weights initialised ``SATURATING_INIT`` times too large or more are the
    init's consequence (makemore's MLP at N(0, 1): tanh 92% saturated behind weights 20x Xavier's scale was told
    "use a non-saturating activation", the init second)."""
    # an init finding the propagation test left as information counts too: BatchNorm between the layers hides the
    # scale from that test, not from the output unit the last weight feeds (pytorch/examples' DCGAN at N(0, 1): the
    # discriminator's sigmoid 94% saturated behind a convolution 22x Xavier's scale was told "activation")
    large = [f for f in findings if f.cause == "init" and _direction(f) > 0]
    large.sort(key=lambda f: not _strong(f))
    for act in [f for f in findings if f.cause == "activation" and _strong(f) and "saturated_fraction" in f.evidence]:
        kind = act.evidence.get("activation")
        for big in large:
            layers = big.evidence.get("layers")
            feeding = [float(v.get("factor", 0.0)) for v in (layers.values() if isinstance(layers, dict) else ())
                       if isinstance(v, dict) and v.get("activation") == kind]
            if feeding and max(feeding) >= SATURATING_INIT:
                if not _strong(big):
                    _speak_for_saturation(big, str(kind), max(feeding))
                _absorb(big, act, f"the {kind} units saturate because the weights feeding them are initialised "
                                  f"{max(feeding):.3g}x too large")
                break


def _costless_saturation(findings: list[Finding]) -> None:
    """Partly saturated tanh/sigmoid units (worst layer under the critical share) whose measured gradient cost is
    under ``activations.COSTLESS_DEAD`` decades, and that no too-large init explains, are information: the units
    still pass the gradient, as a partly dead ReLU's live units do (fresh38's BNAF, 44-59% saturated at 0.06-0.25
    decades, learns). A saturation an init explains was made its consequence just before."""
    for act in findings:
        if act.cause == "activation" and act.severity == "warning" and act.evidence.get("costless"):
            act.severity = "info"


#: decades of rho^T from which a recurrence explains a non-finite backward pass behind a finite forward
BACKWARD_GROWTH_DECADES = 6.0
#: a module output of this RMS or more is huge (the probe's overflow floor reads the same line)
HUGE_OUTPUT = HUGE_OUTPUT_RMS


def _growth_absorbs_loss_overflow(findings: list[Finding]) -> None:
    """A loss that overflows on finite but huge module outputs (RMS >= ``HUGE_OUTPUT``) is the consequence of what
    grew them: a recurrence, an init or a depth finding that says the signal grows (direction +1). fresh35's Koopman
    auto-encoder with its operator drawn N(0, 3^2): rolled out 29 steps, rho^T = 1e27, its MSE overflows; it was
    told "the loss function overflows", the recurrence second. A loss that overflows on outputs of a usual scale
    (a log of 0, a division by 0) stays ``numeric``. Likewise a backward pass that turns Inf/NaN behind a finite
    forward and loss is the consequence of a recurrence whose radius predicts a growth of at least
    ``BACKWARD_GROWTH_DECADES`` over the sequence (fresh43's RNNoise with its GRUs' recurrent matrices orthogonal x5:
    rho^T = 10^11 over 16 frames; a sqrt at 0 with no such recurrence stays ``numeric``); and so are the tanh/sigmoid
    units saturated by the state such a recurrence grows."""
    backward = next((f for f in findings if f.cause == "numeric" and "non_finite_grads" in f.evidence), None)
    rec = max((f for f in findings if f.cause == "recurrence" and _strong(f) and
               float(f.evidence.get("predicted_decades_rho_pow_T") or 0.0) >= BACKWARD_GROWTH_DECADES),
              key=lambda f: f.rank_key, default=None)  # rho^T > 1e6: a radius above 1 (whatever the gates measured)
    if rec is not None:
        for act in [f for f in findings if f.cause == "activation" and _strong(f) and "saturated_fraction" in
                    f.evidence]:  # the state it grows saturates the units that read it
            _absorb(rec, act, f"the state it grows by about 10^{float(rec.evidence['predicted_decades_rho_pow_T']):.3g}"
                              " over the sequence saturates the units that read it")
    if backward is not None and rec is not None:
        _absorb(rec, backward, f"the gradient is multiplied by about rho^T = 10^"
                               f"{float(rec.evidence['predicted_decades_rho_pow_T']):.3g} back through the sequence")
        return
    overflow = next((f for f in findings if f.cause == "numeric" and f.evidence.get("model_outputs_finite")
                     and float(f.evidence.get("largest_output_rms", 0.0)) >= HUGE_OUTPUT), None)
    if overflow is None:
        return
    # an init reading built on the overflowed loss (probe._output_decades' floor) that names a weight a growing
    # recurrence names too: the recurrence is the mechanism (a Koopman operator at N(0, 10^2) rolled out)
    grown = [f for f in findings if f.cause == "recurrence" and _strong(f) and _direction(f) > 0]
    for init in [f for f in findings if f.cause == "init" and _strong(f) and f.evidence.get("first_loss_overflowed")]:
        rec = next((r for r in grown if set(r.layers) & set(init.layers)), None)
        if rec is not None:
            _absorb(rec, init, "the weight it names is the recurrent one, whose radius grows the rollout")
    grew = _pick(findings, ("recurrence", "init", "depth"), 1)
    if grew is not None:
        _absorb(grew, overflow, f"the outputs the loss reads reach an RMS of "
                                f"{float(overflow.evidence['largest_output_rms']):.2g}, grown by it")


def _wide_init_absorbs_forward_overflow(findings: list[Finding], trained: bool) -> None:
    """A forward pass that turns finite inputs into Inf/NaN in a model whose every weight is initialised too large
    (the init finding's ``model_wide``, its propagation unmeasurable behind the overflow) overflows because of that
    init: fresh66's Deep Ritz net at N(0, 1), its cubic ReLUs raising a 2x too large signal to the third power in
    each block, was told only "<root> turns finite inputs into Inf/NaN". The model at the library's default init must
    compute a finite loss (:func:`.gates.finite_at_default_init`)."""
    if trained:
        return
    wide = next((f for f in findings if f.cause == "init" and f.evidence.get("finite_at_default_init")), None)
    overflow = next((f for f in findings if f.cause == "numeric" and _strong(f) and f.evidence.get("inputs_finite")
                     and f.evidence.get("output_finite") is False), None)
    if wide is None or overflow is None:
        return
    _speak_as_wide_init(wide, "the forward pass overflows to Inf/NaN from finite inputs, so no propagation can be "
                        "measured; the signal every layer multiplies grows until it does.")
    _absorb(wide, overflow, "every weight is initialised too large and the signal overflows")


#: an SGD step that moves the median weight matrix by at least this many times its norm, at an effective rate (lr x
#: the momentum factor) of at most :data:`USUAL_SGD_RATE`, has a gradient >= 100x the weights' own norm: a gradient
#: out of scale, not a rate (fresh70's Deep CORAL at N(0, 1), lr 0.01 with momentum 0.9: 2e4 of their norm)
GRADIENT_BOUND_RATIO = 100.0
USUAL_SGD_RATE = 1.0


def _wide_init_behind_sgd_step(findings: list[Finding], lr: Finding) -> Finding | None:
    """The model-wide init finding (most weights > ``OFF_FACTOR`` too large, the forward measured growing: direction
    up), made the cause of an SGD step far too large at a usual rate; None where that does not hold. Its propagation
    test may have seen too few layers to compound (three): the step's scale is the sign."""
    ratio, rate = lr.evidence.get("update_to_weight_median"), lr.evidence.get("lr")
    factor = lr.evidence.get("momentum_effective_factor", 1.0)
    if not all(isinstance(v, int | float) for v in (ratio, rate, factor)):
        return None
    if ratio < GRADIENT_BOUND_RATIO or rate * factor > USUAL_SGD_RATE:  # type: ignore[operator]
        return None
    wide = next((f for f in findings if f.cause == "init" and "model_wide" in f.evidence and _direction(f) > 0
                 and "consequence_of" not in f.evidence), None)
    if wide is None:
        return None
    _speak_as_wide_init(wide, f"at lr={rate:g} one SGD step moves the weights by {ratio:.3g}x their norm, so the "
                        f"gradient is about {ratio / (rate * factor):.3g}x the weights' own norm; the signal every "  # type: ignore[operator]
                        "layer multiplies is inflated by the init, and the gradient with it.", keep_lr=True)
    return wide


def _speak_as_wide_init(wide: Finding, what: str, keep_lr: bool = False) -> None:
    """Make the model-wide init finding (``evidence["model_wide"]``) the cause of ``what`` it explains, with the
    re-initialisation as its remedy."""
    wide.confidence = 0.7
    wide.message = f"The model is initialised too large ({wide.evidence['model_wide']}): {what}"
    wide.prescription = ("Re-initialise with the scheme each layer's activation wants (He/Xavier, or the library's "
                         "default); fix(model, diagnosis) does it." + (" Keep the learning rate." if keep_lr else ""))
    wide.code = "from gradguard.diagnosis import fix\nchanges = fix(model, diagnosis)  # re-initialises these layers"


def _speak_for_saturation(big: Finding, kind: str, factor: float) -> None:
    """An information-only init finding (its propagation test saw nothing: normalisation between the layers) made
    the cause of a saturation: its message and remedy say so rather than "nothing to do"."""
    wide = big.evidence.get("model_wide", "")
    big.confidence = max(big.confidence, 0.6)
    big.message = (f"The weights are initialised too large ({wide}): the hidden signal keeps its scale "
                   f"(normalisation between the layers, or too few of them to compound), but the weights feeding "
                   f"the {kind} units are {factor:.3g}x their scheme's std, and those units saturate.")
    big.prescription = ("Re-initialise with the scheme each layer's activation wants (He for ReLU-like, Xavier for "
                        "tanh/sigmoid; fix(model, diagnosis) does it).")
    big.code = "from gradguard.diagnosis import fix\nchanges = fix(model, diagnosis)  # re-initialises these layers"
