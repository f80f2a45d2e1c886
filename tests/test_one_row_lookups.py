"""An embedding table whose every lookup in the batch reads one row (``diagnosis.lookups``, issue 12): ids that all
miss a string-keyed vocabulary fall back to its out-of-vocabulary row; named ``data``. Not for varied ids, a small
category table, or a per-step start token."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import check


class _Recommender(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.item = nn.Embedding(51, 16, padding_idx=0)
        self.kind = nn.Embedding(3, 4)
        self.head = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, x: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        items, kinds = x
        return self.head(torch.cat([self.item(items).mean(1), self.kind(kinds)], 1)).squeeze(1)


def _check(items: torch.Tensor, kinds: torch.Tensor) -> object:
    torch.manual_seed(0)
    model = _Recommender()
    y = torch.randint(0, 2, (len(items),)).float()
    return check(model, ((items, kinds), y), F.binary_cross_entropy_with_logits,
                 torch.optim.Adam(model.parameters(), lr=1e-3), confirm_steps=0)


def _one_row(d: object) -> list:
    return [f for f in d.findings if "tables" in f.evidence]  # type: ignore[attr-defined]


def test_ids_that_all_fall_back_to_the_out_of_vocabulary_row_are_data() -> None:
    vocab = {str(i): i for i in range(1, 51)}  # keys are strings
    ids = torch.randint(1, 51, (64, 9))
    looked_up = torch.tensor([[vocab.get(i, 0) for i in row] for row in ids.tolist()])  # int keys: all miss
    d = _check(looked_up, torch.randint(0, 3, (64,)))
    found = _one_row(d)
    assert len(found) == 1 and found[0].cause == "data" and found[0].severity in ("warning", "critical")
    assert found[0].evidence["tables"]["item"] == {"row": 0, "lookups": 576, "rows": 51}
    assert d.top is found[0]  # type: ignore[attr-defined]
    # the padding row takes no gradient: the table's "no gradient" reading is this finding's consequence
    assert all(f.severity == "info" for f in d.findings if "no_gradient_share" in f.evidence)  # type: ignore[attr-defined]


def test_varied_ids_and_a_small_category_table_are_left_alone() -> None:
    assert _one_row(_check(torch.randint(1, 51, (64, 9)), torch.zeros(64, dtype=torch.long))) == []
