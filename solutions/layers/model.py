"""Given code: a small convolutional network built from the student's layers.

    conv - [normalization] - ReLU - 2x2 max pool - affine - softmax

The convolution is `layers.conv.conv_forward_fast` / `conv_backward_fast` and
the normalization comes from `layers.norm`, both written by the student; the
rest is `layers.basic`. The student functions are looked up when they are
called (not when this module is imported), so a notebook that reloads
`layers.conv` or `layers.norm` sees the new code at once.

Normalization choices, on the conv layer's output of shape (N, F, H, W):

| `normalization` | layer | statistics over | gamma, beta shape |
|---|---|---|---|
| None / "none" | - | - | - |
| "batch" | `spatial_batchnorm_forward` | N, H, W (per channel) | (F,) |
| "layer" | `spatial_groupnorm_forward`, G = 1 | F, H, W (per sample) | (1, F, 1, 1) |
| "group" | `spatial_groupnorm_forward`, G = `num_groups` | F/G, H, W (per sample and group) | (1, F, 1, 1) |
| "instance" | `instancenorm_forward` | H, W (per sample and channel) | (F,) |

Layer normalization of a conv layer normalizes each sample over all its
channels and positions, which is group normalization with a single group.

`TwoLayerNet` is the fully connected counterpart, for experiments on the
normalization of (N, D) features:

    affine - [normalization] - ReLU - affine - softmax

with "batch" = `batchnorm_forward`, "layer" = `layernorm_forward` (gamma and
beta of shape (D,)) and "group" = `spatial_groupnorm_forward` on the hidden
features viewed as (N, D, 1, 1) (gamma and beta of shape (1, D, 1, 1)).
"""

import numpy as np

from layers import basic
from layers import conv as conv_layers
from layers import norm as norm_layers

NORMALIZATIONS = (None, "batch", "layer", "group", "instance")
FC_NORMALIZATIONS = (None, "batch", "layer", "group")


class ConvNet:
    """conv - [norm] - relu - pool - affine - softmax, for inputs (N, C, H, W).

    The conv layer keeps the spatial size (stride 1, pad (filter_size - 1) // 2,
    odd filter_size); the 2x2 pool halves it, so H and W must be even.

    Attributes:
    - params: dict of parameter arrays, the ones the solver updates:
      'W1' (F, C, k, k), 'b1' (F,), 'gamma1'/'beta1' (only with a
      normalization; shape in the module docstring), 'W2' (F*H/2*W/2, K), 'b2' (K,).
    - bn_param: the dict passed to the batch normalization layer; it keeps the
      running mean and variance between calls.
    - normalization, num_groups, reg: the options given.
    """

    def __init__(
        self,
        input_dim=(1, 8, 8),
        num_filters=8,
        filter_size=3,
        num_classes=10,
        normalization=None,
        num_groups=2,
        weight_scale=None,
        reg=0.0,
        seed=0,
    ):
        """Initialize the weights.

        Inputs:
        - input_dim: (C, H, W) of one sample.
        - num_filters: F, the number of conv filters.
        - filter_size: k, the filters are k x k (odd).
        - num_classes: K.
        - normalization: one of NORMALIZATIONS ("none" is the same as None).
        - num_groups: G for "group" (F must be divisible by G).
        - weight_scale: standard deviation of the initial weights; None means
          He initialization (sqrt(2 / fan_in)) for each layer.
        - reg: L2 regularization strength; the loss gets 0.5 * reg * sum(W**2)
          for W1 and W2.
        - seed: seed of the weight initialization.
        """
        if normalization == "none":
            normalization = None
        if normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization must be one of {NORMALIZATIONS}, not {normalization!r}")
        C, H, W = input_dim
        if filter_size % 2 != 1:
            raise ValueError("filter_size must be odd so that the conv layer keeps the size")
        if H % 2 or W % 2:
            raise ValueError("H and W must be even for the 2x2 pool")
        F = num_filters
        if normalization == "group" and F % num_groups:
            raise ValueError(f"num_filters={F} is not divisible by num_groups={num_groups}")

        self.normalization = normalization
        self.num_groups = {"layer": 1, "group": num_groups}.get(normalization)
        self.reg = reg
        self.conv_param = {"stride": 1, "pad": (filter_size - 1) // 2}
        self.pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
        self.bn_param = {"mode": "train"}
        self.norm_param = {"eps": 1e-5}

        rng = np.random.default_rng(seed)
        hidden = F * (H // 2) * (W // 2)
        scale1 = np.sqrt(2.0 / (C * filter_size * filter_size)) if weight_scale is None else weight_scale
        scale2 = np.sqrt(2.0 / hidden) if weight_scale is None else weight_scale
        self.params = {
            "W1": scale1 * rng.standard_normal((F, C, filter_size, filter_size)),
            "b1": np.zeros(F),
            "W2": scale2 * rng.standard_normal((hidden, num_classes)),
            "b2": np.zeros(num_classes),
        }
        if normalization in ("batch", "instance"):
            self.params["gamma1"] = np.ones(F)
            self.params["beta1"] = np.zeros(F)
        elif normalization in ("layer", "group"):
            self.params["gamma1"] = np.ones((1, F, 1, 1))
            self.params["beta1"] = np.zeros((1, F, 1, 1))

    def _norm_forward(self, a, mode):
        p = self.params
        if self.normalization == "batch":
            self.bn_param["mode"] = mode
            return norm_layers.spatial_batchnorm_forward(a, p["gamma1"], p["beta1"], self.bn_param)
        if self.normalization in ("layer", "group"):
            return norm_layers.spatial_groupnorm_forward(a, p["gamma1"], p["beta1"], self.num_groups, self.norm_param)
        return norm_layers.instancenorm_forward(a, p["gamma1"], p["beta1"], self.norm_param)

    def _norm_backward(self, dout, cache):
        if self.normalization == "batch":
            return norm_layers.spatial_batchnorm_backward(dout, cache)
        if self.normalization in ("layer", "group"):
            return norm_layers.spatial_groupnorm_backward(dout, cache)
        return norm_layers.instancenorm_backward(dout, cache)

    def loss(self, X, y=None):
        """Class scores, or the loss and its gradients.

        Inputs:
        - X: images, shape (N, C, H, W).
        - y: integer labels, shape (N,), or None.

        Returns:
        - if y is None: scores of shape (N, K), computed in test mode (batch
          normalization uses its running statistics);
        - otherwise (loss, grads), computed in train mode: loss is a float
          (data loss plus L2 regularization), grads a dict with the same keys
          and shapes as self.params.
        """
        mode = "test" if y is None else "train"
        p = self.params

        a, conv_cache = conv_layers.conv_forward_fast(X, p["W1"], p["b1"], self.conv_param)
        norm_cache = None
        if self.normalization is not None:
            a, norm_cache = self._norm_forward(a, mode)
        a, relu_cache = basic.relu_forward(a)
        a, pool_cache = basic.max_pool_forward_fast(a, self.pool_param)
        scores, affine_cache = basic.affine_forward(a, p["W2"], p["b2"])
        if y is None:
            return scores

        data_loss, dscores = basic.softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))

        grads = {}
        da, grads["W2"], grads["b2"] = basic.affine_backward(dscores, affine_cache)
        da = basic.max_pool_backward_fast(da, pool_cache)
        da = basic.relu_backward(da, relu_cache)
        if self.normalization is not None:
            da, grads["gamma1"], grads["beta1"] = self._norm_backward(da, norm_cache)
        _, grads["W1"], grads["b1"] = conv_layers.conv_backward_fast(da, conv_cache)
        grads["W1"] = grads["W1"] + self.reg * p["W1"]
        grads["W2"] = grads["W2"] + self.reg * p["W2"]
        return float(loss), grads


class TwoLayerNet:
    """affine - [norm] - relu - affine - softmax; inputs of any shape (N, ...).

    Attributes as in `ConvNet`: params ('W1' (D_in, D), 'b1' (D,), 'gamma1'/'beta1'
    with a normalization, 'W2' (D, K), 'b2' (K,)), bn_param, normalization, reg.
    """

    def __init__(
        self,
        input_dim=64,
        hidden_dim=64,
        num_classes=10,
        normalization=None,
        num_groups=4,
        weight_scale=None,
        reg=0.0,
        seed=0,
    ):
        """Initialize the weights.

        Inputs:
        - input_dim: D_in, the size of one flattened sample.
        - hidden_dim: D, the size of the hidden layer.
        - num_classes: K.
        - normalization: one of FC_NORMALIZATIONS ("none" is the same as None).
        - num_groups: G for "group" (hidden_dim must be divisible by G).
        - weight_scale, reg, seed: as in `ConvNet`.
        """
        if normalization == "none":
            normalization = None
        if normalization not in FC_NORMALIZATIONS:
            raise ValueError(f"normalization must be one of {FC_NORMALIZATIONS}, not {normalization!r}")
        if normalization == "group" and hidden_dim % num_groups:
            raise ValueError(f"hidden_dim={hidden_dim} is not divisible by num_groups={num_groups}")
        self.normalization = normalization
        self.num_groups = num_groups
        self.reg = reg
        self.bn_param = {"mode": "train"}
        self.norm_param = {"eps": 1e-5}

        rng = np.random.default_rng(seed)
        scale1 = np.sqrt(2.0 / input_dim) if weight_scale is None else weight_scale
        scale2 = np.sqrt(2.0 / hidden_dim) if weight_scale is None else weight_scale
        self.params = {
            "W1": scale1 * rng.standard_normal((input_dim, hidden_dim)),
            "b1": np.zeros(hidden_dim),
            "W2": scale2 * rng.standard_normal((hidden_dim, num_classes)),
            "b2": np.zeros(num_classes),
        }
        if normalization in ("batch", "layer"):
            self.params["gamma1"] = np.ones(hidden_dim)
            self.params["beta1"] = np.zeros(hidden_dim)
        elif normalization == "group":
            self.params["gamma1"] = np.ones((1, hidden_dim, 1, 1))
            self.params["beta1"] = np.zeros((1, hidden_dim, 1, 1))

    def _norm_forward(self, a, mode):
        p = self.params
        if self.normalization == "batch":
            self.bn_param["mode"] = mode
            return norm_layers.batchnorm_forward(a, p["gamma1"], p["beta1"], self.bn_param)
        if self.normalization == "layer":
            return norm_layers.layernorm_forward(a, p["gamma1"], p["beta1"], self.norm_param)
        N, D = a.shape
        out, cache = norm_layers.spatial_groupnorm_forward(
            a.reshape(N, D, 1, 1), p["gamma1"], p["beta1"], self.num_groups, self.norm_param
        )
        return out.reshape(N, D), cache

    def _norm_backward(self, dout, cache):
        if self.normalization == "batch":
            return norm_layers.batchnorm_backward_alt(dout, cache)
        if self.normalization == "layer":
            return norm_layers.layernorm_backward(dout, cache)
        N, D = dout.shape
        dx, dgamma, dbeta = norm_layers.spatial_groupnorm_backward(dout.reshape(N, D, 1, 1), cache)
        return dx.reshape(N, D), dgamma, dbeta

    def loss(self, X, y=None):
        """Scores (y is None, test mode) or (loss, grads) (train mode), as in `ConvNet.loss`."""
        mode = "test" if y is None else "train"
        p = self.params
        a, affine1_cache = basic.affine_forward(X, p["W1"], p["b1"])
        norm_cache = None
        if self.normalization is not None:
            a, norm_cache = self._norm_forward(a, mode)
        a, relu_cache = basic.relu_forward(a)
        scores, affine2_cache = basic.affine_forward(a, p["W2"], p["b2"])
        if y is None:
            return scores

        data_loss, dscores = basic.softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
        grads = {}
        da, grads["W2"], grads["b2"] = basic.affine_backward(dscores, affine2_cache)
        da = basic.relu_backward(da, relu_cache)
        if self.normalization is not None:
            da, grads["gamma1"], grads["beta1"] = self._norm_backward(da, norm_cache)
        _, grads["W1"], grads["b1"] = basic.affine_backward(da, affine1_cache)
        grads["W1"] = grads["W1"] + self.reg * p["W1"]
        grads["W2"] = grads["W2"] + self.reg * p["W2"]
        return float(loss), grads
