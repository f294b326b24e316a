"""deepgrad's main demo (`make demo`): the lecture's MNIST model and a small CNN, in the Keras API.

    python examples/demo.py            # full run: MLP then CNN on all of MNIST
    python examples/demo.py --quick    # a short run on a subset (smoke test, seconds on an idle machine)

1. Fetches MNIST once (deepgrad.keras.datasets.mnist.load_data, cached in ~/.cache/deepgrad).
2. The recipe the lectures end on (seed 001, "Recipe of Deep Learning"), written Keras-style:
   784-500-500-10, ReLU, Dropout, softmax output with categorical cross entropy, Adam.
3. A small channels-last CNN: Conv2D(32, 3)-MaxPooling2D-Conv2D(64, 3)-MaxPooling2D-Flatten-
   Dense(128, relu)-Dropout(0.5)-Dense(10, softmax).
   Both train with Adam, learning rate 1e-3 decayed by 0.7 each epoch, 10% of the training
   images held out for the validation curves.
4. Progress bars while training; test accuracy and time of each model printed at the end.
5. Everything lands in runs/<timestamp>/: mlp.keras and cnn.keras (reload them with
   deepgrad.keras.models.load_model), curves.png (loss and accuracy, train and validation),
   <model>_confusion.png, <model>_misclassified.png and results.json with the numbers.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

import deepgrad
from deepgrad import viz
from deepgrad.keras.callbacks import Callback, LearningRateScheduler
from deepgrad.keras.datasets import mnist
from deepgrad.keras.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D
from deepgrad.keras.models import Sequential, load_model
from deepgrad.keras.optimizers import Adam
from deepgrad.keras.utils import set_random_seed, to_categorical

# The settings of the full run, chosen by measurement on a 2-core CPU (see docs/demo.md).
FULL = {"mlp": {"epochs": 6, "batch_size": 128}, "cnn": {"epochs": 6, "batch_size": 64}, "train_limit": None,
        "test_limit": None}
QUICK = {"mlp": {"epochs": 2, "batch_size": 64}, "cnn": {"epochs": 1, "batch_size": 32}, "train_limit": 1536,
         "test_limit": 500}
TARGETS = {"mlp": 0.980, "cnn": 0.990}
LEARNING_RATE = 1e-3
VALIDATION_SPLIT = 0.1  # Keras holds out the last 10% of the training images for the validation curves
DECAY = 0.7  # learning rate of epoch e (from 0): LEARNING_RATE * DECAY**e; steadies the last epochs' accuracy


def schedule(epoch, lr):
    """Exponential learning-rate decay per epoch (the lectures' point: shrink the step as training settles)."""
    return LEARNING_RATE * DECAY**epoch


def build_mlp(dropout=0.2):
    """Seed 001's model with the lecture's final recipe: ReLU, Dropout, softmax + cross entropy, Adam."""
    model = Sequential(name="mlp")
    model.add(Dense(units=500, input_dim=28 * 28, activation="relu"))
    model.add(Dropout(dropout))
    model.add(Dense(units=500, activation="relu"))
    model.add(Dropout(dropout))
    model.add(Dense(units=10, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=LEARNING_RATE), metrics=["accuracy"])
    return model


def build_cnn():
    """A small convnet on channels-last 28x28x1 images: two conv/pool stages, a hidden layer of 128 with dropout."""
    model = Sequential([
        Input(shape=(28, 28, 1)),
        Conv2D(32, kernel_size=(3, 3), activation="relu"),
        MaxPooling2D(pool_size=(2, 2)),
        Conv2D(64, kernel_size=(3, 3), activation="relu"),
        MaxPooling2D(pool_size=(2, 2)),
        Flatten(),
        Dense(128, activation="relu"),
        Dropout(0.5),
        Dense(10, activation="softmax"),
    ], name="cnn")
    model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=LEARNING_RATE), metrics=["accuracy"])
    return model


class EpochTimer(Callback):
    """Records the wall-clock seconds of every epoch (training and validation)."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._t0)


def train_and_report(name, model, x_train, y_train, x_test, y_test, images_test, labels_test, settings, run_dir,
                     verbose):
    """fit, evaluate, predict, save model and pictures; returns this model's entry of results.json."""
    print(f"\n=== {name.upper()}: {model.count_params():,} parameters, {len(x_train):,} training images, "
          f"{settings['epochs']} epochs of batch {settings['batch_size']} ===", flush=True)
    model.summary()
    timer = EpochTimer()
    t0 = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=settings["batch_size"], epochs=settings["epochs"],
                        validation_split=VALIDATION_SPLIT, callbacks=[LearningRateScheduler(schedule), timer],
                        verbose=verbose)
    train_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    # One pass over the test set gives both numbers: model.evaluate(x_test, y_test) would return the
    # same [loss, accuracy] (Keras's cross entropy clips probabilities to [1e-7, 1 - 1e-7]).
    probs = model.predict(x_test, batch_size=1000, verbose=0)
    eval_seconds = time.perf_counter() - t0
    pred = probs.argmax(axis=1)
    test_acc = float((pred == labels_test).mean())
    p_true = np.clip(probs[np.arange(len(probs)), labels_test], 1e-7, 1.0 - 1e-7)
    test_loss = float(-np.log(p_true.astype(np.float64)).mean())

    model_path = run_dir / f"{name}.keras"
    model.save(model_path)
    reloaded = load_model(model_path)
    max_diff = float(np.abs(reloaded.predict(x_test[:256], batch_size=256, verbose=0) - probs[:256]).max())

    viz.plot_confusion_matrix(labels_test, pred, run_dir / f"{name}_confusion.png",
                              title=f"{name.upper()} on the MNIST test set: accuracy {test_acc:.2%}")
    viz.plot_misclassified(images_test, labels_test, probs, run_dir / f"{name}_misclassified.png", max_images=36,
                           title=f"{name.upper()}: {int((pred != labels_test).sum())} of {len(pred)} test digits "
                                 f"misclassified (true -> predicted, probability)")
    target = TARGETS[name]
    print(f"{name.upper()}: test accuracy {test_acc:.2%} (target {target:.1%}: "
          f"{'met' if test_acc >= target else 'NOT met'}), test loss {test_loss:.4f}, "
          f"trained in {train_seconds:.1f} s ({', '.join(f'{s:.1f}' for s in timer.seconds)} s per epoch)",
          flush=True)
    return {
        "test_accuracy": float(test_acc), "test_loss": float(test_loss), "target_accuracy": target,
        "target_met": bool(test_acc >= target), "params": int(model.count_params()),
        "epochs": settings["epochs"], "batch_size": settings["batch_size"],
        "optimizer": f"Adam(learning_rate={LEARNING_RATE} * {DECAY}**epoch)",
        "loss": "categorical_crossentropy", "layers": [type(la).__name__ for la in model.layers],
        "train_samples": int(len(x_train) * (1.0 - VALIDATION_SPLIT)),  # fit holds out the last 10%
        "validation_samples": len(x_train) - int(len(x_train) * (1.0 - VALIDATION_SPLIT)),
        "train_seconds": round(train_seconds, 2), "epoch_seconds": [round(s, 2) for s in timer.seconds],
        "eval_seconds": round(eval_seconds, 2), "errors": int((pred != labels_test).sum()),
        "reload_max_abs_diff": max_diff, "model_file": model_path.name,
        "history": {k: [float(v) for v in vals] for k, vals in history.history.items()},
    }, history


def new_run_dir(root):
    """runs/<UTC timestamp>/ (with a -2, -3 ... suffix if two runs start in the same second)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    root = Path(root)
    path, i = root / stamp, 1
    while path.exists():
        i += 1
        path = root / f"{stamp}-{i}"
    path.mkdir(parents=True)
    return path


def set_blas_threads(threads):
    """Limit the BLAS thread pool; returns a line saying what was done (or None).

    Measured on the shared 2-core machine: with other programs running, a 2-thread OpenBLAS
    GEMM waits for its descheduled partner thread, and a CNN training step took 4x longer
    with 2 threads than with 1 (load average ~3.4: 297 vs 71 ms per batch of 64).
    """
    if threads == "auto":
        cpus = os.cpu_count() or 1
        busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        if busy < 1.0 or cpus > 4:
            return None
        threads, why = 1, f"load average {busy:.1f} on {cpus} CPUs"
    else:
        threads, why = int(threads), "--threads"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return f"(BLAS threads not limited ({why}): pip install threadpoolctl, or set OPENBLAS_NUM_THREADS=1)"
    threadpool_limits(threads)
    return f"BLAS threads limited to {threads} ({why})"


def blas_threads():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [{k: d.get(k) for k in ("internal_api", "num_threads", "architecture")} for d in threadpool_info()]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short run on a subset of MNIST (for tests)")
    ap.add_argument("--runs-dir", default="runs", help="parent folder of the run folder (default: runs)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mlp-epochs", type=int, default=None)
    ap.add_argument("--cnn-epochs", type=int, default=None)
    ap.add_argument("--models", default="mlp,cnn", help="comma-separated subset of mlp,cnn")
    ap.add_argument("--verbose", type=int, default=1, help="1: progress bars (default), 2: a line per epoch, 0: quiet")
    ap.add_argument("--device", default="cpu",
                    help="cpu (default), or cuda: the Keras models follow deepgrad.set_default_device")
    ap.add_argument("--threads", default="auto",
                    help="BLAS threads: a number, or 'auto' (default): 1 when other programs keep the CPUs busy")
    args = ap.parse_args(argv)
    if args.threads != "auto" and not args.threads.isdigit():
        ap.error(f"--threads takes a number or 'auto', got {args.threads!r}")
    threads_note = set_blas_threads(args.threads)

    cfg = {k: (dict(v) if isinstance(v, dict) else v) for k, v in (QUICK if args.quick else FULL).items()}
    if args.mlp_epochs is not None:
        cfg["mlp"]["epochs"] = args.mlp_epochs
    if args.cnn_epochs is not None:
        cfg["cnn"]["epochs"] = args.cnn_epochs
    names = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = set(names) - {"mlp", "cnn"}
    if unknown or not names:
        ap.error(f"--models takes a comma-separated subset of mlp,cnn; got {args.models!r}")

    if importlib.util.find_spec("matplotlib") is None:  # fail before training, not after
        sys.exit("examples/demo.py draws its pictures with matplotlib: pip install 'deepgrad[plot]' "
                 "(make demo installs it)")
    t_start = time.perf_counter()
    run_dir = new_run_dir(args.runs_dir)
    print(f"deepgrad {deepgrad.__version__} demo{' (--quick)' if args.quick else ''}: writing to {run_dir}",
          flush=True)
    if threads_note:
        print(threads_note, flush=True)
    set_random_seed(args.seed)
    deepgrad.set_default_device(args.device)

    t0 = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    load_seconds = time.perf_counter() - t0
    print(f"MNIST: {x_train.shape[0]} training and {x_test.shape[0]} test images of {x_train.shape[1:]} "
          f"(loaded in {load_seconds:.1f} s)", flush=True)
    if cfg["train_limit"]:
        x_train, y_train = x_train[:cfg["train_limit"]], y_train[:cfg["train_limit"]]
    if cfg["test_limit"]:
        x_test, y_test = x_test[:cfg["test_limit"]], y_test[:cfg["test_limit"]]

    # The lecture's preprocessing: pixels scaled to [0, 1], labels one-hot for the softmax output.
    scale = np.float32(1.0 / 255.0)
    y_train_1h, y_test_1h = to_categorical(y_train, 10), to_categorical(y_test, 10)
    labels_test = y_test.astype(np.int64)

    results = {
        "deepgrad_version": deepgrad.__version__, "quick": bool(args.quick), "seed": args.seed,
        "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"), "run_dir": str(run_dir),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "numpy": np.__version__, "cpu_count": os.cpu_count(), "blas": blas_threads(),
                    "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None},
        "threads_note": threads_note, "device": args.device, "data_seconds": round(load_seconds, 2), "models": {},
    }
    histories = {}
    for name in names:
        if name == "mlp":
            xtr = x_train.reshape(-1, 28 * 28).astype(np.float32) * scale
            xte = x_test.reshape(-1, 28 * 28).astype(np.float32) * scale
            model = build_mlp()
        else:
            xtr = x_train[..., None].astype(np.float32) * scale  # (N, 28, 28, 1): channels last, as Keras
            xte = x_test[..., None].astype(np.float32) * scale
            model = build_cnn()
        entry, history = train_and_report(name, model, xtr, y_train_1h, xte, y_test_1h, x_test, labels_test,
                                          cfg[name], run_dir, args.verbose)
        results["models"][name] = entry
        histories[name.upper()] = history
        viz.plot_histories(histories, run_dir / "curves.png")

    results["total_seconds"] = round(time.perf_counter() - t_start, 2)
    results["files"] = sorted(p.name for p in run_dir.iterdir()) + ["results.json"]
    with open(run_dir / "results.json", "w") as f:
        json.dump(results, f, indent=2)

    print("\n=== summary ===")
    for name, entry in results["models"].items():
        print(f"{name.upper():4s} test accuracy {entry['test_accuracy']:.2%}  "
              f"(target {entry['target_accuracy']:.1%} {'met' if entry['target_met'] else 'NOT met'})  "
              f"train {entry['train_seconds']:.1f} s  ({entry['params']:,} parameters, {entry['epochs']} epochs)")
    print(f"total {results['total_seconds']:.1f} s; files in {run_dir}: {', '.join(results['files'])}")
    return results


if __name__ == "__main__":
    res = main()
    sys.exit(0 if res["quick"] or all(m["target_met"] for m in res["models"].values()) else 1)
