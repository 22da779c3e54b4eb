#!/usr/bin/python3
"""Compare a bare `protean fit` with scikit-learn's MLPRegressor and MLPClassifier.

Each data set is split once (seeded, 80/20) into train.csv and test.csv in a temporary folder,
and Protean and scikit-learn read the same two files. Protean runs with no options except --test,
-o and --seed. scikit-learn runs a 64-64 ReLU MLP with the adam and lbfgs solvers, inputs
standardized with StandardScaler and, for regression, the target standardized too. Test
metrics of both are computed here by the same code from the predictions, so they agree in
definition. Every fit runs on one thread (Protean's default; BLAS is limited to one thread).

usage: /usr/bin/python3 scripts/compare_sklearn.py [--protean build/protean] [--seeds 1 2 3]
           [--datasets kinks sine2d ...] [--json results.json] [--keep DIR]
Needs numpy and scikit-learn (Debian 12's python3-sklearn is 1.2.1). Reads only local files:
the scikit-learn loaders used here read CSV files shipped inside the package.
"""
import os

# Single-threaded BLAS, set before numpy loads, so that timings compare one core with one core.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import argparse
import csv
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import sklearn
from sklearn import datasets
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPLIT_SEED = 0
TEST_FRACTION = 0.2
HIDDEN_LAYER_SIZES = (64, 64)
MAX_ITER = {"adam": 500, "lbfgs": 2000}
CLASSIFICATION_SETS = ("iris", "wine", "breast_cancer", "digits")
TEST_LINE = re.compile(r"^test \(.*, (\d+) rows\): (.*)$", re.MULTILINE)
SEARCH_LINE = re.compile(r"^search: chose (\S+) with weight decay (\S+) ", re.MULTILINE)


# ---------------------------------------------------------------- data sets

def write_csv(path, header, inputs, targets):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row, target in zip(inputs, targets):
            cells = [f"{value:.9g}" for value in row]
            cells.append(target if isinstance(target, str) else f"{target:.9g}")
            writer.writerow(cells)


def split_and_write(folder, header, inputs, targets):
    """Write a seeded 80/20 split of the rows to folder/train.csv and folder/test.csv."""
    order = np.random.default_rng(SPLIT_SEED).permutation(len(inputs))
    test_count = int(round(TEST_FRACTION * len(inputs)))
    test_rows, train_rows = order[:test_count], order[test_count:]
    write_csv(os.path.join(folder, "train.csv"), header, inputs[train_rows], [targets[i] for i in train_rows])
    write_csv(os.path.join(folder, "test.csv"), header, inputs[test_rows], [targets[i] for i in test_rows])


def make_kinks(folder):
    """Use make_kinks.py's own split: 2000 training and 1000 test rows of one kinked curve."""
    subprocess.run([sys.executable, os.path.join(REPO_ROOT, "scripts", "make_kinks.py"), folder], check=True)
    os.replace(os.path.join(folder, "kinks_train.csv"), os.path.join(folder, "train.csv"))
    os.replace(os.path.join(folder, "kinks_test.csv"), os.path.join(folder, "test.csv"))


def make_sine2d(folder):
    """Write 2000 rows of sin(3x)·cos(2y) + 0.5·x·y, x and y uniform on [-1, 1], no noise."""
    points = np.random.default_rng(1).uniform(-1.0, 1.0, size=(2000, 2))
    x, y = points[:, 0], points[:, 1]
    split_and_write(folder, ["x", "y", "z"], points, np.sin(3 * x) * np.cos(2 * y) + 0.5 * x * y)


def make_friedman1(folder):
    """Write Friedman #1: 10 inputs, 5 of them used, Gaussian noise of standard deviation 1."""
    inputs, targets = datasets.make_friedman1(n_samples=2000, n_features=10, noise=1.0, random_state=0)
    split_and_write(folder, [f"x{i + 1}" for i in range(10)] + ["y"], inputs, targets)


def make_boston(folder):
    """Split data/boston_housing.csv, target MEDV (the last column)."""
    path = os.path.join(REPO_ROOT, "data", "boston_housing.csv")
    with open(path, newline="") as handle:
        header = next(csv.reader(handle))
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    split_and_write(folder, header, table[:, :-1], table[:, -1])


def make_classification(loader):
    """Return a writer for a scikit-learn toy set, with text labels so that Protean fits classes."""
    def write(folder):
        bunch = loader()
        labels = [f"class_{int(label)}" for label in bunch.target]
        header = [f"x{i + 1}" for i in range(bunch.data.shape[1])] + ["label"]
        split_and_write(folder, header, bunch.data.astype(float), labels)
    return write


DATA_SET_WRITERS = {
    "kinks": make_kinks,
    "sine2d": make_sine2d,
    "friedman1": make_friedman1,
    "boston": make_boston,
    "iris": make_classification(datasets.load_iris),
    "wine": make_classification(datasets.load_wine),
    "breast_cancer": make_classification(datasets.load_breast_cancer),
    "digits": make_classification(datasets.load_digits),
}


def read_split(path, classification):
    """Read a CSV written above into an input matrix and a target vector."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    inputs = np.array([[float(cell) for cell in row[:-1]] for row in rows])
    if classification:
        return inputs, np.array([row[-1] for row in rows])
    return inputs, np.array([float(row[-1]) for row in rows])


# ---------------------------------------------------------------- metrics

def regression_metrics(actual, predicted):
    residual = actual - predicted
    rmse = float(np.sqrt(np.mean(residual ** 2)))
    r2 = float(1.0 - np.sum(residual ** 2) / np.sum((actual - actual.mean()) ** 2))
    return {"rmse": rmse, "r2": r2}


def classification_metrics(actual, predicted):
    return {"accuracy": float(np.mean(actual == predicted))}


# ---------------------------------------------------------------- models

def run_protean(protean, folder, seed, classification):
    """Fit with a bare `protean fit`, predict the test rows and return metrics and fit seconds."""
    model = os.path.join(folder, f"protean_{seed}.safetensors")
    train, test = os.path.join(folder, "train.csv"), os.path.join(folder, "test.csv")
    start = time.perf_counter()
    fit_process = subprocess.run([protean, "fit", train, "--test", test, "-o", model, "--seed", str(seed)],
                         capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if fit_process.returncode != 0:
        raise RuntimeError(f"protean fit failed with exit code {fit_process.returncode} on {train}:\n"
                           f"{fit_process.stderr}")
    reported = TEST_LINE.search(fit_process.stdout + fit_process.stderr)

    predictions_path = os.path.join(folder, f"protean_{seed}_predictions.csv")
    subprocess.run([protean, "predict", model, test, "-o", predictions_path], check=True, capture_output=True)
    with open(predictions_path, newline="") as handle:
        predicted = [row[0] for row in list(csv.reader(handle))[1:]]

    _, actual = read_split(test, classification)
    if classification:
        metrics = classification_metrics(actual, np.array(predicted))
    else:
        metrics = regression_metrics(actual, np.array([float(value) for value in predicted]))
    metrics["seconds"] = seconds
    metrics["protean_test_line"] = reported.group(2) if reported else None
    # The optimizer and weight decay that the cross-validated search chose, when it ran.
    chosen = SEARCH_LINE.search(fit_process.stdout)
    metrics["search_choice"] = f"{chosen.group(1)} {chosen.group(2)}" if chosen else None
    return metrics


def make_sklearn_model(solver, seed, classification):
    common = dict(hidden_layer_sizes=HIDDEN_LAYER_SIZES, activation="relu", solver=solver,
                  max_iter=MAX_ITER[solver], early_stopping=False, random_state=seed)
    if classification:
        return make_pipeline(StandardScaler(), MLPClassifier(**common))
    return TransformedTargetRegressor(regressor=make_pipeline(StandardScaler(), MLPRegressor(**common)),
                                      transformer=StandardScaler())


def run_sklearn(solver, folder, seed, classification):
    """Fit one scikit-learn MLP on train.csv and score it on test.csv."""
    train_inputs, train_targets = read_split(os.path.join(folder, "train.csv"), classification)
    test_inputs, test_targets = read_split(os.path.join(folder, "test.csv"), classification)
    model = make_sklearn_model(solver, seed, classification)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(train_inputs, train_targets)
        seconds = time.perf_counter() - start
    network = model.steps[-1][1] if classification else model.regressor_.steps[-1][1]

    predicted = model.predict(test_inputs)
    if classification:
        metrics = classification_metrics(test_targets, predicted)
    else:
        metrics = regression_metrics(test_targets, predicted)
    metrics["seconds"] = seconds
    metrics["iterations"] = int(network.n_iter_)
    metrics["converged"] = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return metrics


# ---------------------------------------------------------------- report

def summarize(runs, key):
    values = [run[key] for run in runs]
    return float(np.mean(values)), float(np.std(values))


def format_table(results, seeds):
    lines = [
        "| data set | task | train/test rows | method | test RMSE | test R² | test accuracy | fit seconds |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, entry in results.items():
        classification = entry["task"] == "classification"
        for method, runs in entry["methods"].items():
            cells = [name, entry["task"], f"{entry['train_rows']}/{entry['test_rows']}", method]
            if classification:
                accuracy, spread = summarize(runs, "accuracy")
                cells += ["", "", f"{accuracy:.4f} ± {spread:.4f}"]
            else:
                rmse, rmse_spread = summarize(runs, "rmse")
                r2, r2_spread = summarize(runs, "r2")
                cells += [f"{rmse:.4g} ± {rmse_spread:.2g}", f"{r2:.5f} ± {r2_spread:.2g}", ""]
            seconds, _ = summarize(runs, "seconds")
            note = ""
            if any(not run.get("converged", True) for run in runs):
                unconverged = sum(not run["converged"] for run in runs)
                note = f" ({unconverged}/{len(runs)} hit max_iter)"
            cells.append(f"{seconds:.2f}{note}")
            lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"Mean ± standard deviation over seeds {', '.join(str(seed) for seed in seeds)}.")
    return "\n".join(lines)


def protean_version(protean):
    return subprocess.run([protean, "--version"], capture_output=True, text=True, check=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protean", default=os.path.join(REPO_ROOT, "build", "protean"),
                        help="path of the protean executable (default: build/protean)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3],
                        help="model seeds: Protean's --seed and scikit-learn's random_state")
    parser.add_argument("--datasets", nargs="+", choices=list(DATA_SET_WRITERS), default=list(DATA_SET_WRITERS))
    parser.add_argument("--json", help="also write every run's metrics to this JSON file")
    parser.add_argument("--keep", help="write the data sets and models into this folder and keep them")
    args = parser.parse_args()

    if not os.access(args.protean, os.X_OK):
        parser.error(f"protean executable not found at {args.protean}; build it or pass --protean PATH")
    print(f"protean: {protean_version(args.protean)}; scikit-learn {sklearn.__version__}; "
          f"numpy {np.__version__}; python {sys.version.split()[0]}", flush=True)

    work_root = args.keep or tempfile.mkdtemp(prefix="protean_vs_sklearn_")
    results = {}
    try:
        for name in args.datasets:
            folder = os.path.join(work_root, name)
            os.makedirs(folder, exist_ok=True)
            DATA_SET_WRITERS[name](folder)
            classification = name in CLASSIFICATION_SETS
            train_inputs, _ = read_split(os.path.join(folder, "train.csv"), classification)
            test_inputs, _ = read_split(os.path.join(folder, "test.csv"), classification)
            entry = {"task": "classification" if classification else "regression",
                     "inputs": int(train_inputs.shape[1]),
                     "train_rows": len(train_inputs), "test_rows": len(test_inputs),
                     "methods": {"protean (bare)": [], "sklearn adam": [], "sklearn lbfgs": []}}
            for seed in args.seeds:
                entry["methods"]["protean (bare)"].append(run_protean(args.protean, folder, seed, classification))
                for solver in ("adam", "lbfgs"):
                    entry["methods"][f"sklearn {solver}"].append(run_sklearn(solver, folder, seed, classification))
                print(f"{name} seed {seed}: " + "; ".join(
                    f"{method} {json.dumps(runs[-1])}" for method, runs in entry["methods"].items()), flush=True)
            results[name] = entry
    finally:
        if not args.keep:
            shutil.rmtree(work_root, ignore_errors=True)

    print()
    print(format_table(results, args.seeds))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"protean": protean_version(args.protean), "sklearn": sklearn.__version__,
                       "seeds": args.seeds, "results": results}, handle, indent=1)


if __name__ == "__main__":
    main()
