"""``compile``, ``fit``, ``evaluate``, ``predict``: the Keras training loop on deepgrad.

One training step is plain deepgrad: forward (``training=True``), loss (+ regularization
penalties), ``backward``, optimizer step.  Batches are sliced from float32 arrays with one
index array per epoch (shuffled with deepgrad's seeded generator), so there is no per-sample
Python work.  Loss and metrics shown in the logs are running means over the epoch, weighted
by batch size, as in Keras.

Fused loss: when the model ends in softmax (sigmoid) and the loss is (binary) cross entropy on
probabilities, the loss is computed from the last layer's logits (see ``losses.Loss.call_logits``).
"""
from __future__ import annotations

import math
import signal
import time

import numpy as np

from deepgrad.autograd import no_grad
from deepgrad.backend import as_numpy, get_array_module
from deepgrad.keras import losses as losses_mod
from deepgrad.keras import metrics as metrics_mod
from deepgrad.keras import optimizers as optimizers_mod
from deepgrad.keras.callbacks import CallbackList, History, ProgbarLogger
from deepgrad.random import generator
from deepgrad.tensor import Tensor
from deepgrad.train.interrupt import interrupt
from deepgrad.train.rng import get_all_rng_states, set_all_rng_states

_SPARSE_LOSSES = (losses_mod.SparseCategoricalCrossentropy,)


def _as_array(x):
    if isinstance(x, Tensor):
        return as_numpy(x.data)
    if isinstance(x, np.ndarray):
        return x
    if type(x).__module__.startswith("cupy"):
        return x
    return np.asarray(x)


def _n_samples(x):
    return len(x[0]) if isinstance(x, (list, tuple)) else len(x)


def _take(x, idx):
    return [a[idx] for a in x] if isinstance(x, (list, tuple)) else x[idx]


def _slice(x, start, stop):
    return [a[start:stop] for a in x] if isinstance(x, (list, tuple)) else x[start:stop]


def _wants_rng(cbs):
    """Whether a callback (BackupAndRestore) keeps the RNG state of each epoch's start."""
    return any(type(c).__name__ == "BackupAndRestore" for c in cbs.callbacks)


def _single_loss_weight(loss_weights):
    """The weight of the one loss (a number, or a list/dict of one), None when not given."""
    if loss_weights is None:
        return None
    if isinstance(loss_weights, dict):
        loss_weights = list(loss_weights.values())
    if isinstance(loss_weights, (list, tuple)):
        if len(loss_weights) != 1:
            raise NotImplementedError(f"compile: loss_weights for {len(loss_weights)} outputs (multi-output models) "
                                      "is not supported; a single-output model takes one weight")
        loss_weights = loss_weights[0]
    try:
        return float(loss_weights)
    except (TypeError, ValueError):
        raise TypeError(f"compile: loss_weights must be a number or a list of one, got {loss_weights!r}") from None


def _resolve_verbose(verbose):
    if verbose == "auto":
        return 1
    return int(verbose)


class TrainingMixin:
    """The Keras Model methods that train and use a model (mixed into ``Model``)."""

    # -- compile -----------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        """Choose the optimizer, the loss and the metrics (``metrics=['accuracy']``)."""
        self._loss_weight = _single_loss_weight(loss_weights)
        self.optimizer = optimizers_mod.get(optimizer)
        self.optimizer.inner = None  # (re)built for this model's weights on the first step
        self.loss = losses_mod.get(loss)
        if metrics is None:
            metrics = []
        elif isinstance(metrics, (str, metrics_mod.Metric)) or callable(metrics):
            metrics = [metrics]
        if isinstance(metrics, dict):
            raise NotImplementedError("compile: per-output metric dicts are not supported")
        if isinstance(weighted_metrics, (str, metrics_mod.Metric)) or callable(weighted_metrics):
            weighted_metrics = [weighted_metrics]
        # Keras 3: sample_weight and class_weight weigh the loss and the weighted_metrics, not the metrics
        self._metric_ids = list(metrics)
        self._weighted_ids = list(weighted_metrics or [])
        self._metric_objs = None
        self.compiled = True
        self._compile_args = {"optimizer": optimizer, "loss": loss, "metrics": list(metrics)}
        if self._loss_weight is not None:
            self._compile_args["loss_weights"] = self._loss_weight
        if self._weighted_ids:
            self._compile_args["weighted_metrics"] = list(self._weighted_ids)

    def _check_compiled(self, what):
        if not getattr(self, "compiled", False) or self.loss is None:
            raise RuntimeError(f"You must call compile(optimizer, loss) before {what}()")

    @property
    def metrics_names(self):
        names = ["loss"]
        if self._metric_objs is not None:
            names += [m.name for m in self._metric_objs]
        return names

    def _build_metrics(self, y_true_shape, y_pred_shape):
        if self._metric_objs is None:
            plain = [metrics_mod.get(m, y_true_shape, y_pred_shape) for m in self._metric_ids]
            weighted = [metrics_mod.get(m, y_true_shape, y_pred_shape) for m in getattr(self, "_weighted_ids", ())]
            names = {m.name for m in plain}
            for m in plain:
                m.weighted = False
            for m in weighted:
                m.weighted = True
                if m.name in names:  # the same metric twice: Keras names the weighted one weighted_<name>
                    m.name = f"weighted_{m.name}"
            self._metric_objs = plain + weighted
        return self._metric_objs

    # -- data -----------------------------------------------------------------------------------
    def _prepare_x(self, x):
        if isinstance(x, (list, tuple)) and not isinstance(x, np.ndarray) and len(x) and hasattr(x[0], "shape"):
            return [self._cast_input(_as_array(a), i) for i, a in enumerate(x)]
        return self._cast_input(_as_array(x), 0)

    def _cast_input(self, a, i):
        int_ok = self._input_keeps_integers(i)
        if a.dtype.kind == "f" and a.dtype != np.float32:
            return a.astype(np.float32)
        if a.dtype.kind in "iub" and not int_ok:
            return a.astype(np.float32)
        return a

    def _prepare_y(self, y):
        y = _as_array(y)
        if isinstance(self.loss, _SPARSE_LOSSES):
            return y.astype(np.int64) if y.dtype.kind != "i" else y
        return y.astype(np.float32) if y.dtype != np.float32 else y

    def _class_weights(self, y, class_weight):
        labels = y
        if labels.ndim > 1 and labels.shape[-1] > 1:
            labels = labels.argmax(axis=-1)
        elif labels.ndim > 1:
            labels = labels.reshape(labels.shape[0]) if labels.shape[-1] == 1 else labels
            if not isinstance(self.loss, _SPARSE_LOSSES):
                labels = (labels > 0.5).astype(np.int64)
        labels = labels.astype(np.int64)
        table = np.ones(int(max(labels.max(initial=0), max(class_weight, default=0))) + 1, dtype=np.float32)
        for k, v in class_weight.items():
            table[int(k)] = float(v)
        return table[labels]

    def _to_device(self, a):
        xp = self._xp()
        if xp is np or a is None:
            return a
        return [xp.asarray(v) for v in a] if isinstance(a, list) else xp.asarray(a)

    def _xp(self):
        weights = self.weights
        return get_array_module(weights[0].data) if weights else np

    def _wrap(self, a):
        if isinstance(a, list):
            return [Tensor._make(v) for v in a]
        return Tensor._make(a)

    # -- one step -----------------------------------------------------------------------------
    def _loss_and_output(self, xb, yb, swb, training):
        outputs, logits, activation = self._forward(xb, training=training, want_logits=True)
        if isinstance(outputs, (list, tuple)):
            raise NotImplementedError("fit/evaluate: models with several outputs are not supported yet")
        y_true = Tensor._make(yb)
        per = None
        if logits is not None:
            per = self.loss.call_logits(y_true, logits, activation)
        if per is None:
            per = self.loss.call(y_true, outputs)
        mask = self._output_mask_weights(per)
        if mask is not None:  # Keras: a masked output's loss counts its unmasked entries only
            swb = _masked_weights(swb, mask, self.loss.reduction, per.data)
        loss = losses_mod.reduce_loss(per, None if swb is None else Tensor._make(swb), self.loss.reduction)
        if getattr(self, "_loss_weight", None) is not None:
            loss = loss * self._loss_weight
        penalties = self.losses
        for p in penalties:
            loss = loss + p
        return loss, outputs

    def _output_mask_weights(self, per):
        """The output's mask (from Embedding(mask_zero=True) / Masking) as 0/1 weights of ``per``'s shape."""
        masks = getattr(self, "_output_masks", None)
        mask = masks[0] if masks and len(masks) == 1 else None
        self._batch_mask = None
        if mask is None:
            return None
        m = mask.data
        if m.ndim == per.ndim + 1 and m.shape[-1] == 1:  # Keras's squeeze_or_expand_to_same_rank
            m = m.reshape(m.shape[:-1])
        elif per.ndim == m.ndim + 1 and per.shape[-1] == 1:
            m = m.reshape(m.shape + (1,))
        if tuple(m.shape) != tuple(per.shape):
            return None
        self._batch_mask = m.astype(per.data.dtype)
        return self._batch_mask

    def _update_metrics(self, yb, y_pred, swb, n, loss_value):
        self._loss_total += loss_value * n
        self._loss_count += n
        objs = self._build_metrics(tuple(yb.shape), tuple(y_pred.shape))
        mask = getattr(self, "_batch_mask", None)
        for m in objs:
            sw = swb if m.weighted else None
            if mask is not None:
                sw = _masked_weights(sw, mask, "sum", mask)
            m.update_state(yb, y_pred.data, sw)

    def _reset_metrics(self):
        self._loss_total = 0.0
        self._loss_count = 0
        for m in self._metric_objs or []:
            m.reset_state()

    def _logs(self, sort=False):
        """Loss then metrics in compile order; ``sort=True``: by name, as Keras 3 hands logs to callbacks."""
        logs = {"loss": self._loss_total / self._loss_count if self._loss_count else float("nan")}
        for m in self._metric_objs or []:
            logs[m.name] = float(m.result())
        return dict(sorted(logs.items())) if sort else logs

    def _train_batch(self, xb, yb, swb):
        if not self.optimizer.built:
            params = self.trainable_weights
            if not params:
                raise RuntimeError("fit: the model has no trainable weights")
            self.optimizer.build(params)
        loss, y_pred = self._loss_and_output(self._wrap(xb), yb, swb, training=True)
        self.optimizer.zero_grad()
        loss.backward()
        trainable = {id(w) for w in self.trainable_weights}
        for p in self.optimizer._params:  # frozen since the optimizer was built (layer.trainable = False)
            if id(p) not in trainable:
                p.grad = None
        self.optimizer.step()
        value = float(loss.item())
        with no_grad():
            self._update_metrics(yb, y_pred, swb, _n_samples(xb), value)

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on one batch; returns the loss (and metrics) of that batch."""
        self._check_compiled("train_on_batch")
        x, y = self._prepare_x(x), self._prepare_y(y)
        self._ensure_built(x)
        sw = None if sample_weight is None else _as_array(sample_weight).astype(np.float32)
        if class_weight is not None:
            cw = self._class_weights(y, class_weight)
            sw = cw if sw is None else sw * cw
        self._reset_metrics()
        self._train_batch(self._to_device(x), self._to_device(y), self._to_device(sw))
        return self._return(self._logs(), return_dict)

    def test_on_batch(self, x, y, sample_weight=None, return_dict=False):
        self._check_compiled("test_on_batch")
        x, y = self._prepare_x(x), self._prepare_y(y)
        self._ensure_built(x)
        self._reset_metrics()
        sw = None if sample_weight is None else _as_array(sample_weight).astype(np.float32)
        with no_grad():
            loss, y_pred = self._loss_and_output(self._wrap(self._to_device(x)), self._to_device(y),
                                                 self._to_device(sw), training=False)
            self._update_metrics(self._to_device(y), y_pred, self._to_device(sw), _n_samples(x), float(loss.item()))
        return self._return(self._logs(), return_dict)

    def predict_on_batch(self, x):
        x = self._prepare_x(x)
        self._ensure_built(x)
        with no_grad():
            out, _, _ = self._forward(self._wrap(self._to_device(x)), training=False, want_logits=False)
        return self._outputs_to_numpy(out)

    def _return(self, logs, return_dict):
        if return_dict:  # Keras 3: a dict sorted by name; a list is loss first, then the metrics in compile order
            return dict(sorted(logs.items()))
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # -- fit ----------------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1,
            **kwargs):
        """Train for ``epochs`` passes over (x, y) in mini-batches of ``batch_size`` (default 32).

        Returns the ``History`` callback; ``history.history`` maps 'loss', each metric and
        'val_*' to one value per epoch.  Ctrl-C (SIGINT) stops after the current batch:
        ``on_train_end`` runs (BackupAndRestore saves the state there), ``model.fit_interrupted``
        is True and the History so far is returned; a second Ctrl-C raises KeyboardInterrupt.
        """
        if "nb_epoch" in kwargs:  # Keras 1's name
            epochs = kwargs.pop("nb_epoch")
        if kwargs:
            raise TypeError(f"fit: unexpected keyword argument(s) {sorted(kwargs)}")
        self._check_compiled("fit")
        if x is None or y is None:
            raise ValueError("fit: pass both x and y (arrays)")
        batch_size = 32 if batch_size is None else int(batch_size)
        verbose = _resolve_verbose(verbose)
        x, y = self._prepare_x(x), self._prepare_y(y)
        n = _n_samples(x)
        if len(y) != n:
            raise ValueError(f"fit: x has {n} samples but y has {len(y)}")
        sw = None if sample_weight is None else _as_array(sample_weight).astype(np.float32)
        if class_weight is not None:
            cw = self._class_weights(y, class_weight)
            sw = cw if sw is None else sw * cw
        if validation_data is None and validation_split:
            if not 0.0 < validation_split < 1.0:
                raise ValueError(f"fit: validation_split must be in (0, 1), got {validation_split}")
            split = int(n * (1.0 - validation_split))  # Keras holds out the last samples, before shuffling
            validation_data = (_slice(x, split, n), y[split:]) + ((sw[split:],) if sw is not None else ())
            x, y, n = _slice(x, 0, split), y[:split], split
            sw = None if sw is None else sw[:split]
        val = None
        if validation_data is not None:
            if len(validation_data) not in (2, 3):
                raise ValueError("fit: validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight)")
            vx, vy = self._prepare_x(validation_data[0]), self._prepare_y(validation_data[1])
            vsw = None if len(validation_data) == 2 or validation_data[2] is None else \
                _as_array(validation_data[2]).astype(np.float32)
            val = (vx, vy, vsw)
        self._ensure_built(x)
        x, y, sw = self._to_device(x), self._to_device(y), self._to_device(sw)
        steps = math.ceil(n / batch_size)
        if steps_per_epoch is not None:
            steps = min(steps, int(steps_per_epoch))

        history = History()
        cbs = CallbackList(callbacks, model=self, params={"verbose": verbose, "epochs": epochs, "steps": steps})
        if verbose and not any(isinstance(c, ProgbarLogger) for c in cbs.callbacks):
            cbs.append(ProgbarLogger(verbose))
        cbs.append(history)
        self.stop_training = False
        self.fit_interrupted = False
        self._resume_point = None  # set by BackupAndRestore.on_train_begin
        self._fit_position = (initial_epoch, 0)
        with interrupt(signals=(signal.SIGINT,)) as stop:  # Ctrl-C: finish the batch, then stop cleanly
            cbs.on_train_begin()
            resume = self._resume_point
            if resume is not None:
                initial_epoch = resume["epoch"]
            logs = {}
            xp = get_array_module(y)
            for epoch in range(initial_epoch, epochs):
                self._reset_metrics()
                cbs.on_epoch_begin(epoch)
                first = 0
                if resume is not None and resume["step"] and resume["epoch_rng"] is not None:
                    # mid-epoch resume: the order drawn at this epoch's start, then the state at the interruption
                    now = get_all_rng_states()
                    set_all_rng_states(resume["epoch_rng"])
                    self._epoch_start_rng = resume["epoch_rng"]
                    order = generator(np).permutation(n) if shuffle else None
                    set_all_rng_states(now)
                    first = min(resume["step"], steps)
                    self._loss_total, self._loss_count = resume["loss_total"], resume["loss_count"]
                else:
                    self._epoch_start_rng = get_all_rng_states() if resume is not None or _wants_rng(cbs) else None
                    order = generator(np).permutation(n) if shuffle else None
                resume = None
                if order is not None and xp is not np:
                    order = xp.asarray(order)
                self._fit_position = (epoch, first)
                if first:
                    logs = self._logs(sort=True)
                for step in range(first, steps):
                    cbs.on_train_batch_begin(step)
                    lo, hi = step * batch_size, min((step + 1) * batch_size, n)
                    if order is None:
                        xb, yb = _slice(x, lo, hi), y[lo:hi]
                        swb = None if sw is None else sw[lo:hi]
                    else:
                        idx = order[lo:hi]
                        xb, yb = _take(x, idx), y[idx]
                        swb = None if sw is None else sw[idx]
                    self._train_batch(xb, yb, swb)
                    self._fit_position = (epoch, step + 1)
                    logs = self._logs(sort=True)
                    cbs.on_train_batch_end(step, logs)
                    if stop:
                        self.fit_interrupted = True
                        self.stop_training = True
                    if self.stop_training:
                        break
                if self.fit_interrupted:
                    break
                epoch_logs = dict(logs)
                if val is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._evaluate_arrays(*val, batch_size=validation_batch_size or batch_size,
                                                     steps=validation_steps, callbacks=cbs)  # on_test_* as Keras
                    epoch_logs.update({f"val_{k}": v for k, v in sorted(val_logs.items())})
                cbs.on_epoch_end(epoch, epoch_logs)
                self._fit_position = (epoch + 1, 0)
                logs = epoch_logs
                if self.stop_training or stop:
                    self.fit_interrupted = bool(stop)
                    break
            cbs.on_train_end(logs)
        self.history = history
        return history

    # -- evaluate / predict ----------------------------------------------------------------------------
    def _evaluate_arrays(self, x, y, sw=None, batch_size=32, steps=None, callbacks=None):
        x, y, sw = self._to_device(x), self._to_device(y), self._to_device(sw)
        n = _n_samples(x)
        n_steps = math.ceil(n / batch_size)
        if steps is not None:
            n_steps = min(n_steps, int(steps))
        self._reset_metrics()
        if callbacks is not None:
            callbacks.on_test_begin()
        with no_grad():
            for step in range(n_steps):
                if callbacks is not None:
                    callbacks.on_test_batch_begin(step)
                lo, hi = step * batch_size, min((step + 1) * batch_size, n)
                xb, yb = _slice(x, lo, hi), y[lo:hi]
                swb = None if sw is None else sw[lo:hi]
                loss, y_pred = self._loss_and_output(self._wrap(xb), yb, swb, training=False)
                self._update_metrics(yb, y_pred, swb, hi - lo, float(loss.item()))
                if callbacks is not None:
                    callbacks.on_test_batch_end(step, self._logs(sort=True))
        logs = self._logs()
        if callbacks is not None:
            callbacks.on_test_end(dict(sorted(logs.items())))
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """The loss (and metrics) on (x, y): a float when there are no metrics, else [loss, metric, ...]."""
        self._check_compiled("evaluate")
        x, y = self._prepare_x(x), self._prepare_y(y)
        self._ensure_built(x)
        sw = None if sample_weight is None else _as_array(sample_weight).astype(np.float32)
        cbs = CallbackList(callbacks, model=self, params={"verbose": _resolve_verbose(verbose), "steps": steps})
        batch_size = 32 if batch_size is None else int(batch_size)
        start = time.perf_counter()
        logs = self._evaluate_arrays(x, y, sw, batch_size=batch_size, steps=steps, callbacks=cbs)
        if _resolve_verbose(verbose):  # Keras's last progress line: '2/2 - 0s - 18ms/step - accuracy: ... - loss: ...'
            from deepgrad.keras.callbacks.progbar_logger import format_logs, format_time

            n_steps = math.ceil(_n_samples(x) / batch_size) if steps is None else min(int(steps), math.ceil(
                _n_samples(x) / batch_size))
            elapsed = time.perf_counter() - start
            print(f"{n_steps}/{n_steps} - {elapsed:.0f}s -{format_time(elapsed / max(n_steps, 1))} - "
                  f"{format_logs(dict(sorted(logs.items())))}")
        return self._return(logs, return_dict)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x`` as a numpy array (inference mode: no dropout, moving BN stats)."""
        x = self._prepare_x(x)
        self._ensure_built(x)
        x = self._to_device(x)
        batch_size = 32 if batch_size is None else int(batch_size)
        n = _n_samples(x)
        n_steps = math.ceil(n / batch_size)
        if steps is not None:
            n_steps = min(n_steps, int(steps))
        cbs = CallbackList(callbacks, model=self, params={"verbose": _resolve_verbose(verbose), "steps": n_steps})
        cbs.on_predict_begin()
        chunks = []
        with no_grad():
            for step in range(n_steps):
                cbs.on_predict_batch_begin(step)
                lo, hi = step * batch_size, min((step + 1) * batch_size, n)
                out, _, _ = self._forward(self._wrap(_slice(x, lo, hi)), training=False, want_logits=False)
                chunks.append(self._outputs_to_numpy(out))
                cbs.on_predict_batch_end(step, {"outputs": chunks[-1]})
        cbs.on_predict_end()
        if not chunks:
            raise ValueError("predict: got no samples")
        if isinstance(chunks[0], list):
            return [np.concatenate([c[i] for c in chunks]) for i in range(len(chunks[0]))]
        return np.concatenate(chunks)

    def _outputs_to_numpy(self, out):
        if isinstance(out, (list, tuple)):
            return [as_numpy(o.data) for o in out]
        return as_numpy(out.data)


def _masked_weights(sw, mask, reduction, like):
    """Keras's ``apply_mask``: sample weights times the 0/1 mask, rescaled by total / unmasked for a mean."""
    xp = get_array_module(mask)
    weights = mask
    if reduction == "sum_over_batch_size":
        valid = float(mask.sum())
        weights = mask * (mask.size / valid) if valid else xp.zeros_like(mask)
    if sw is None:
        return weights.astype(like.dtype, copy=False)
    sw = xp.asarray(sw, dtype=like.dtype)
    while sw.ndim > weights.ndim and sw.shape[-1] == 1:
        sw = sw.reshape(sw.shape[:-1])
    return (sw.reshape(sw.shape + (1,) * (weights.ndim - sw.ndim)) * weights).astype(like.dtype, copy=False)
