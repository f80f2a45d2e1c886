"""The transformer probes read the `transformers` attention classes (BERT's query/key, GPT-2's fused Conv1D c_attn,
Llama's q_proj/k_proj with grouped key/value heads, Qwen3's and Gemma3's internal q/k norms and Gemma's own logit
scale): per head, the max of q.k * scale written out from the projections' own outputs (through the module's own
q/k norms, over the positions a causal module lets a query see), on the forward the user runs."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from torch import nn

from gradguard.precursors import TransformerProbes

transformers = pytest.importorskip("transformers")


def _model(which: str) -> nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(0)
        if which == "bert":
            return transformers.BertForMaskedLM(transformers.BertConfig(  # type: ignore[no-any-return]
                vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64))
        if which == "gpt2":
            return transformers.GPT2LMHeadModel(transformers.GPT2Config(  # type: ignore[no-any-return]
                vocab_size=64, n_embd=32, n_layer=2, n_head=4, n_positions=32, bos_token_id=0, eos_token_id=0))
        if which == "qwen3":
            return transformers.Qwen3ForCausalLM(transformers.Qwen3Config(  # type: ignore[no-any-return]
                vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, head_dim=8, bos_token_id=0, eos_token_id=0))
        if which == "gemma3":
            return transformers.Gemma3ForCausalLM(transformers.Gemma3TextConfig(  # type: ignore[no-any-return]
                vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, head_dim=8, query_pre_attn_scalar=32, bos_token_id=0, eos_token_id=0,
                pad_token_id=0))
        return transformers.LlamaForCausalLM(transformers.LlamaConfig(  # type: ignore[no-any-return]
            vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, bos_token_id=0, eos_token_id=0))


def _written_out(q: torch.Tensor, k: torch.Tensor, heads: int, module: nn.Module) -> list[float]:
    q, k = q[0].float(), k[0].float()  # the first sequence, (T, heads*d) and (T, kv_heads*d)
    d = q.shape[-1] // heads
    kv = k.shape[-1] // d
    scale = getattr(module, "scaling", 1.0 / math.sqrt(d))
    causal = getattr(module, "is_causal", False) is True
    out = []
    for h in range(heads):
        qh = q[:, h * d:(h + 1) * d]
        g = h // (heads // kv)  # the key/value head this query head shares
        kh = k[:, g * d:(g + 1) * d]
        if hasattr(module, "q_norm"):  # the module's own RMSNorm over each head's d
            with torch.no_grad():
                qh, kh = module.q_norm(qh).float(), module.k_norm(kh).float()  # type: ignore[operator]
        logits = qh @ kh.T * scale
        if causal:  # query i sees keys 0..i
            logits = torch.stack([logits[i, :i + 1].max() for i in range(len(logits))])
        out.append(float(logits.max()))
    return out


@pytest.mark.parametrize("which", ["bert", "gpt2", "llama", "qwen3", "gemma3"])
def test_probes_read_the_transformers_attention_classes(which: str) -> None:
    model = _model(which)
    model.eval()
    probes = TransformerProbes(model, every=1, linear_rms=False)
    assert len(probes.attention) == 2 and probes.unreadable == [] and probes.head is not None
    for a in probes.attention:  # what the module says of itself is what is measured
        assert a.causal == (which != "bert")
        assert (a.q_norm is not None) == (which in ("qwen3", "gemma3"))
        if which == "gemma3":  # query_pre_attn_scalar ** -0.5, not head_dim ** -0.5
            assert a.scaling == pytest.approx(32 ** -0.5)
    captured: dict[str, torch.Tensor] = {}
    hooks = []
    for a in probes.attention:  # the projections' outputs, captured independently of the probes
        if a.kind == "fused":
            hooks.append(a.q.register_forward_hook(  # type: ignore[union-attr]
                lambda _m, _i, out, n=a.name: captured.__setitem__(n + ":qkv", out.detach())))
        else:
            for part, mod in (("q", a.q), ("k", a.k)):
                hooks.append(mod.register_forward_hook(  # type: ignore[union-attr]
                    lambda _m, _i, out, n=a.name, p=part: captured.__setitem__(f"{n}:{p}", out.detach())))
    x = torch.randint(0, 64, (2, 12), generator=torch.Generator().manual_seed(1))
    probes.arm(0)
    with torch.no_grad():
        logits = model(x).logits
    reading = probes.read()
    for h in hooks:
        h.remove()
    assert reading is not None and reading.step == 0
    for a in probes.attention:
        if a.kind == "fused":
            qkv = captured[a.name + ":qkv"]
            e = qkv.shape[-1] // 3
            q, k = qkv[..., :e], qkv[..., e:2 * e]
        else:
            q, k = captured[a.name + ":q"], captured[a.name + ":k"]
        want = _written_out(q, k, 4, a.module)
        assert reading.attention_heads[a.name] == pytest.approx(want, rel=1e-4, abs=1e-6)
        assert reading.attention[a.name] == pytest.approx(max(want), rel=1e-4, abs=1e-6)
    log_z = torch.logsumexp(logits.float(), dim=-1)
    assert reading.log_z_mean == pytest.approx(float(log_z.mean()), rel=1e-4)
