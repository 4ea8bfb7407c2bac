"""The graded functions of SPEC section 1, as data the grader plans with.

A group is a forward function with the backward functions that take its cache;
each group's calls run in order in a runner process of their own (a crash or
hang costs only the call it happened in).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Group:
    name: str
    module: str  # "conv" or "norm": layers/<module>.py
    forward: str
    backwards: tuple[str, ...]
    signature: str  # "conv", "batchnorm", "norm" or "groupnorm": how the forward is called
    inputs: tuple[str, ...]  # differentiable inputs, in argument order
    grads: tuple[str, ...]  # names of the backward's outputs, same order

    @property
    def functions(self) -> tuple[str, ...]:
        return (self.forward,) + self.backwards


_CONV = dict(module="conv", signature="conv", inputs=("x", "w", "b"), grads=("dx", "dw", "db"))
_NORM = dict(module="norm", inputs=("x", "gamma", "beta"), grads=("dx", "dgamma", "dbeta"))

GROUPS = (
    Group("conv_naive", forward="conv_forward_naive", backwards=("conv_backward_naive",), **_CONV),
    Group("conv_fast", forward="conv_forward_fast", backwards=("conv_backward_fast",), **_CONV),
    Group(
        "batchnorm",
        forward="batchnorm_forward",
        backwards=("batchnorm_backward", "batchnorm_backward_alt"),
        signature="batchnorm",
        **_NORM,
    ),
    Group(
        "spatial_batchnorm",
        forward="spatial_batchnorm_forward",
        backwards=("spatial_batchnorm_backward",),
        signature="batchnorm",
        **_NORM,
    ),
    Group("layernorm", forward="layernorm_forward", backwards=("layernorm_backward",), signature="norm", **_NORM),
    Group(
        "groupnorm",
        forward="spatial_groupnorm_forward",
        backwards=("spatial_groupnorm_backward",),
        signature="groupnorm",
        **_NORM,
    ),
    Group(
        "instancenorm", forward="instancenorm_forward", backwards=("instancenorm_backward",), signature="norm", **_NORM
    ),
)

GRADED_FUNCTIONS = tuple(f for group in GROUPS for f in group.functions)
# The forward whose cache each backward takes.
FORWARD_OF = {backward: group.forward for group in GROUPS for backward in group.backwards}
# Functions whose vectorization is graded (SPEC: no Python loop over N, H' or W').
VECTORIZED_FUNCTIONS = ("conv_forward_fast", "conv_backward_fast")
