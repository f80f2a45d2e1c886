"""``capture_rng_state`` gives numpy's exact state while skipping numpy's slow read when the generator has not moved."""

from __future__ import annotations

import random

import numpy as np

from gradguard.rng import _NUMPY, capture_rng_state, restore_rng_state


def _same(a: tuple, b: tuple) -> bool:
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]


def test_the_numpy_state_captured_is_numpy_state_after_every_kind_of_draw() -> None:
    np.random.seed(1)
    rng = random.Random(0)
    kept = capture_rng_state()
    draws = [lambda: np.random.rand(), lambda: np.random.standard_normal(), lambda: np.random.normal(size=3),
             lambda: np.random.randint(0, 10, size=rng.randrange(1, 700)), lambda: None,
             lambda: restore_rng_state(kept), lambda: np.random.seed(rng.randrange(5)),
             # a direct set_state to a state holding a cached Gaussian at the very position of the last capture is
             # the one case the shortcut cannot see (see gradguard.rng._NumpyState); restore_rng_state can
             lambda: None if kept["numpy"][3] else np.random.set_state(kept["numpy"])]
    for _ in range(400):
        draws[rng.randrange(len(draws))]()
        got = capture_rng_state()["numpy"]
        assert _same(got, np.random.get_state())
        if rng.random() < 0.2:
            kept = capture_rng_state()
    assert _NUMPY.ok  # the shortcut was in use (this numpy's layout was recognised)


def test_an_unmoved_generator_gives_the_same_state_without_reading_it_again() -> None:
    np.random.seed(3)
    np.random.rand()
    first = capture_rng_state()["numpy"]
    assert capture_rng_state()["numpy"] is first  # not read again
    np.random.standard_normal()  # leaves a cached Gaussian: such a state is always read in full
    with_gauss = capture_rng_state()["numpy"]
    assert with_gauss[3] == 1 and capture_rng_state()["numpy"] is not with_gauss
    np.random.standard_normal()  # spends it without moving the words
    assert _same(capture_rng_state()["numpy"], np.random.get_state())
