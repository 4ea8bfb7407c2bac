"""Given code: minibatch SGD with momentum for the models in `layers.model`.

    solver = Solver(model, data, learning_rate=0.05, num_epochs=5, batch_size=32)
    solver.train()
    solver.loss_history, solver.train_acc_history, solver.val_acc_history

A model is any object with a dict `params` of arrays and a method
`loss(X, y=None)` that returns class scores when y is None and
`(loss, grads)` otherwise, grads having the keys of params.
"""

import time

import numpy as np


def constant_schedule(epoch, base_lr):
    """The default learning-rate schedule: base_lr in every epoch."""
    return base_lr


class Solver:
    """Trains a model with minibatch SGD with momentum and records its progress.

    Update of each parameter w with gradient dw, velocity v (zeros at first),
    learning rate lr and momentum mu:

        v = mu * v - lr * dw
        w = w + v

    Learning-rate schedule hook: before epoch e (0, 1, 2, ...) the solver sets
    `self.learning_rate = lr_schedule(e, base_lr)`, where base_lr is the
    `learning_rate` given to the constructor. The default keeps it constant.

    Histories, filled by `train()`:
    - loss_history: the minibatch loss of every iteration;
    - train_acc_history, val_acc_history: accuracy after every epoch (the
      training accuracy on a fixed subsample of `num_train_samples`);
    - lr_history: the learning rate used in every epoch;
    - best_val_acc, best_params: the best validation accuracy seen and a copy
      of the parameters that reached it.
    """

    def __init__(
        self,
        model,
        data,
        *,
        learning_rate=1e-2,
        momentum=0.9,
        batch_size=32,
        num_epochs=5,
        lr_schedule=None,
        num_train_samples=500,
        seed=0,
        print_every=None,
        verbose=False,
    ):
        """
        Inputs:
        - model: see the module docstring.
        - data: dict with 'X_train', 'y_train', 'X_val', 'y_val'.
        - learning_rate: base learning rate.
        - momentum: mu in the update above (0 gives plain SGD).
        - batch_size: samples per minibatch; each epoch visits every training
          sample once, in a new random order (the last minibatch may be smaller).
        - num_epochs: number of passes over the training data.
        - lr_schedule: callable (epoch, base_lr) -> learning rate, or None.
        - num_train_samples: size of the training subsample on which the
          training accuracy is measured after every epoch.
        - seed: seed of the shuffling.
        - print_every: print the loss every this many iterations (None: never).
        - verbose: print the accuracies after every epoch.
        """
        self.model = model
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data["X_val"], data["y_val"]
        self.base_lr = learning_rate
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.batch_size = batch_size
        self.num_epochs = num_epochs
        self.lr_schedule = lr_schedule if lr_schedule is not None else constant_schedule
        self.num_train_samples = num_train_samples
        self.print_every = print_every
        self.verbose = verbose
        self.rng = np.random.default_rng(seed)
        self._reset()

    def _reset(self):
        self.epoch = 0
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []
        self.lr_history = []
        self.best_val_acc = -1.0
        self.best_params = {}
        self.velocity = {name: np.zeros_like(value) for name, value in self.model.params.items()}
        self.train_time = 0.0

    def _step(self, X_batch, y_batch):
        """One SGD-with-momentum update on one minibatch."""
        loss, grads = self.model.loss(X_batch, y_batch)
        self.loss_history.append(loss)
        for name, value in self.model.params.items():
            v = self.momentum * self.velocity[name] - self.learning_rate * grads[name]
            self.velocity[name] = v
            self.model.params[name] = value + v

    def check_accuracy(self, X, y, num_samples=None, batch_size=200):
        """Fraction of samples in (X, y) that the model classifies correctly.

        With num_samples, only that many samples (drawn at random) are used.
        Scores are computed in test mode, batch_size samples at a time.
        """
        if num_samples is not None and X.shape[0] > num_samples:
            pick = self.rng.choice(X.shape[0], num_samples, replace=False)
            X, y = X[pick], y[pick]
        predictions = []
        for start in range(0, X.shape[0], batch_size):
            scores = self.model.loss(X[start : start + batch_size])
            predictions.append(np.argmax(scores, axis=1))
        return float(np.mean(np.concatenate(predictions) == y))

    def train(self):
        """Run all epochs; returns self so that `Solver(...).train()` can be chained."""
        started = time.perf_counter()
        num_train = self.X_train.shape[0]
        iteration = 0
        for epoch in range(self.num_epochs):
            self.epoch = epoch
            self.learning_rate = self.lr_schedule(epoch, self.base_lr)
            self.lr_history.append(self.learning_rate)
            order = self.rng.permutation(num_train)
            for start in range(0, num_train, self.batch_size):
                batch = order[start : start + self.batch_size]
                self._step(self.X_train[batch], self.y_train[batch])
                iteration += 1
                if self.print_every and iteration % self.print_every == 0:
                    print(f"(iteration {iteration}) loss {self.loss_history[-1]:.4f}")
            train_acc = self.check_accuracy(self.X_train, self.y_train, self.num_train_samples)
            val_acc = self.check_accuracy(self.X_val, self.y_val)
            self.train_acc_history.append(train_acc)
            self.val_acc_history.append(val_acc)
            if val_acc > self.best_val_acc:
                self.best_val_acc = val_acc
                self.best_params = {name: value.copy() for name, value in self.model.params.items()}
            if self.verbose:
                print(
                    f"(epoch {epoch + 1}/{self.num_epochs}) lr {self.learning_rate:.3g} "
                    f"train acc {train_acc:.3f}, val acc {val_acc:.3f}"
                )
        self.train_time = time.perf_counter() - started
        return self
