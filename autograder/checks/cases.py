"""The hidden cases: shapes chosen to cover the edge cases, values drawn from a seed.

Never released to students. Each group's cases come in a fixed order: the
well-conditioned ones first (those also get numerical gradient checks), the
small-variance, non-default-eps ones last.

Coverage (SPEC section 1 and the known student bugs):
- conv: pad 0, 1, 2; stride 1, 2, 3; overlapping windows (stride < filter);
  strides that do not divide H + 2 pad - HH evenly; H != W; rectangular
  filters; F != C; C = 1; N = 1.
- norms: N != D; N = 1 where the statistics allow it; G = 1, G = C and in
  between; small variance with a non-default eps (eps outside the square root
  is then far off); test mode after train calls, with and without default eps
  and momentum.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from autograder import trusted
from autograder.contract import Group


@dataclass
class Case:
    """One hidden input: arrays by name (x, w, b or x, gamma, beta; dout) and params."""

    label: str
    arrays: dict[str, np.ndarray]
    param: dict = field(default_factory=dict)  # conv_param, or bn/ln/gn/in param (train mode for bn)
    groups: int | None = None  # G, group norm only


@dataclass
class StateSequence:
    """Batch-norm running statistics: several train calls, then one test call, on one bn_param."""

    label: str
    init: dict  # the bn_param the sequence starts from (mode 'train')
    batches: list[np.ndarray]  # train inputs, then the test input last
    gamma: np.ndarray
    beta: np.ndarray


# (stride, pad, x shape, w shape)
CONV_GRID = (
    (1, 1, (2, 3, 5, 5), (4, 3, 3, 3)),
    (2, 0, (2, 3, 7, 5), (4, 3, 3, 2)),  # W: (5 - 2) / 2 does not divide evenly
    (3, 2, (1, 2, 8, 6), (3, 2, 2, 4)),  # N = 1, H: (8 + 4 - 2) / 3 not even
    (1, 0, (3, 1, 4, 6), (2, 1, 3, 3)),  # C = 1, pad 0
    (2, 1, (2, 4, 6, 7), (5, 4, 3, 3)),  # overlapping windows, stride 2, uneven H
    (1, 2, (2, 2, 4, 3), (3, 2, 5, 3)),  # pad 2, filter taller than the input
)

# (x shape, eps or None for the default, small variance?)
BATCHNORM_GRID = (((4, 5), None, False), ((2, 6), None, False), ((7, 3), 1e-3, True))
SPATIAL_BATCHNORM_GRID = (((2, 3, 4, 5), None, False), ((1, 2, 3, 3), None, False), ((3, 4, 2, 3), 1e-3, True))
LAYERNORM_GRID = (((3, 8), None, False), ((1, 5), None, False), ((5, 2), None, False), ((4, 6), 1e-3, True))
# (x shape, G, eps, small variance?)
GROUPNORM_GRID = (
    ((2, 6, 3, 4), 3, None, False),
    ((2, 6, 3, 4), 1, None, False),
    ((3, 6, 2, 3), 6, None, False),  # G = C: instance norm
    ((1, 4, 3, 3), 2, 1e-3, True),
)
INSTANCENORM_GRID = (((2, 3, 4, 5), None, False), ((1, 4, 3, 2), None, False), ((3, 2, 3, 3), 1e-3, True))


def _data(rng: np.random.Generator, shape, small: bool) -> np.ndarray:
    """Inputs with a random offset and spread; a spread of 1e-3 when `small`."""
    scale = 1e-3 if small else rng.uniform(0.5, 3.0)
    return rng.uniform(-2, 2) + scale * rng.standard_normal(shape)


def conv_cases(rng: np.random.Generator) -> list[Case]:
    output_size = trusted.load("vectorization").output_size  # the one formula for H' and W'
    cases = []
    for stride, pad, x_shape, w_shape in CONV_GRID:
        n, _, h, w_ = x_shape
        f, _, hh, ww = w_shape
        out_shape = (n, f, output_size(h, hh, stride, pad), output_size(w_, ww, stride, pad))
        arrays = {
            "x": rng.standard_normal(x_shape),
            "w": 0.5 * rng.standard_normal(w_shape),
            "b": rng.standard_normal(f),
            "dout": rng.standard_normal(out_shape),
        }
        label = f"stride {stride}, pad {pad}, x {x_shape}, w {w_shape}"
        cases.append(Case(label, arrays, {"stride": stride, "pad": pad}))
    return cases


def _norm_label(shape, eps, small, groups=None) -> str:
    words = [f"x {shape}"]
    if groups is not None:
        words.append(f"G {groups}")
    if small:
        words.append("inputs with tiny variance")
    words.append(f"eps {eps}" if eps is not None else "default eps")
    return ", ".join(words)


def _affine(rng, channels: int, shape) -> dict[str, np.ndarray]:
    return {
        "gamma": (1 + 0.5 * rng.standard_normal(channels)).reshape(shape),
        "beta": rng.standard_normal(channels).reshape(shape),
    }


def norm_cases(group: Group, rng: np.random.Generator) -> list[Case]:
    grid = {
        "batchnorm": BATCHNORM_GRID,
        "spatial_batchnorm": SPATIAL_BATCHNORM_GRID,
        "layernorm": LAYERNORM_GRID,
        "instancenorm": INSTANCENORM_GRID,
    }
    cases = []
    if group.name == "groupnorm":
        for shape, groups, eps, small in GROUPNORM_GRID:
            arrays = {
                "x": _data(rng, shape, small),
                **_affine(rng, shape[1], (1, shape[1], 1, 1)),
                "dout": rng.standard_normal(shape),
            }
            param = {} if eps is None else {"eps": eps}
            cases.append(Case(_norm_label(shape, eps, small, groups), arrays, param, groups))
        return cases
    for shape, eps, small in grid[group.name]:
        features = shape[1]
        arrays = {
            "x": _data(rng, shape, small),
            **_affine(rng, features, (features,)),
            "dout": rng.standard_normal(shape),
        }
        param = {} if eps is None else {"eps": eps}
        if group.signature == "batchnorm":
            param = {"mode": "train", **param}
        cases.append(Case(_norm_label(shape, eps, small), arrays, param))
    return cases


def state_sequences(group: Group, rng: np.random.Generator) -> list[StateSequence]:
    """Two sequences for the batch-norm groups: default eps/momentum, and explicit ones."""
    if group.signature != "batchnorm":
        return []
    spatial = group.name == "spatial_batchnorm"
    shapes = [(5, 4), (6, 3)] if not spatial else [(2, 3, 2, 3), (3, 2, 2, 2)]
    settings = [
        ({"mode": "train"}, False, "default eps and momentum"),
        ({"mode": "train", "eps": 1e-3, "momentum": 0.7}, True, "eps 1e-3, momentum 0.7, tiny variance"),
    ]
    sequences = []
    for shape, (init, small, words) in zip(shapes, settings):
        batches = [_data(rng, shape, small) for _ in range(4)]
        affine = _affine(rng, shape[1], (shape[1],))
        sequences.append(StateSequence(f"x {shape}, {words}", init, batches, affine["gamma"], affine["beta"]))
    return sequences


def group_rng(seed: int, group: Group) -> np.random.Generator:
    """A generator per (seed, group): adding a group never changes another's cases."""
    return np.random.default_rng([seed, sum(ord(c) * 31**i for i, c in enumerate(group.name)) % 2**32])


def cases_for(group: Group, seed: int) -> tuple[list[Case], list[StateSequence]]:
    rng = group_rng(seed, group)
    cases = conv_cases(rng) if group.signature == "conv" else norm_cases(group, rng)
    return cases, state_sequences(group, rng)
