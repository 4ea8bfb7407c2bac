"""Given code: the handwritten digits as small images for the conv net.

The data is scikit-learn's copy of the UCI handwritten digits
(`sklearn.datasets.load_digits`): 1797 grey-level images of 8x8 pixels, values
0 to 16, ten classes. It ships inside scikit-learn, so nothing is downloaded.
"""

import numpy as np


def load_digits_data(num_val=360, seed=0, normalize=True):
    """The digits as float64 images (N, 1, 8, 8), split into train and val.

    Inputs:
    - num_val: number of samples in the validation set; the rest is training.
    - seed: seed of the random split (the same seed gives the same split).
    - normalize: if True, subtract the mean training image and divide by the
      standard deviation of all training pixels (both from the training set
      only), so that the inputs are centered with unit variance.

    Returns a dict:
    - 'X_train' (N_train, 1, 8, 8) float64, 'y_train' (N_train,) int64,
    - 'X_val' (num_val, 1, 8, 8) float64, 'y_val' (num_val,) int64,
    - 'mean_image' (1, 8, 8) and 'std' (float): the normalization used
      (zeros and 1.0 when normalize is False).
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = digits.images.astype(np.float64)[:, None, :, :]
    y = digits.target.astype(np.int64)
    if not 0 < num_val < X.shape[0]:
        raise ValueError(f"num_val must be between 1 and {X.shape[0] - 1}")
    order = np.random.default_rng(seed).permutation(X.shape[0])
    val_idx, train_idx = order[:num_val], order[num_val:]
    X_train, y_train = X[train_idx], y[train_idx]
    X_val, y_val = X[val_idx], y[val_idx]

    mean_image = np.zeros(X.shape[1:])
    std = 1.0
    if normalize:
        mean_image = X_train.mean(axis=0)
        std = float((X_train - mean_image).std())
        X_train = (X_train - mean_image) / std
        X_val = (X_val - mean_image) / std
    return {
        "X_train": X_train,
        "y_train": y_train,
        "X_val": X_val,
        "y_val": y_val,
        "mean_image": mean_image,
        "std": std,
    }
