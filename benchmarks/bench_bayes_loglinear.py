"""Wall time of Silverman's Bayesian thresholding (``method="bayesthresh"``) on kosovo and uk2013.

Each data set is fitted ``--repeats`` times with the default sampler settings
(4 chains of 500 draws after 500 tuning steps, two fits per call). The first
call pays for compiling the PyTensor graph; later calls reuse PyTensor's
on-disk cache. ``--cold`` points PyTensor at an empty temporary cache first,
which is what a fresh CI machine sees.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_bayes_loglinear.py
    PYTHONPATH=src python benchmarks/bench_bayes_loglinear.py --cold
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="start from an empty PyTensor compile cache")
    args = parser.parse_args()
    if args.cold:
        if "pytensor" in sys.modules:
            raise SystemExit("--cold must set the cache before PyTensor is imported")
        os.environ["PYTENSOR_FLAGS"] = f"compiledir={tempfile.mkdtemp(prefix='pytensor-cold-')}"

    import mse

    print(f"{'data set':<10} {'call':>4} {'seconds':>8} {'median':>9} {'2.5%':>9} {'97.5%':>9} {'ESS(N)':>7} retained")
    for name in ("kosovo", "uk2013"):
        data = mse.load_dataset(name)
        for repeat in range(args.repeats):
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = mse.estimate(data, method="bayesthresh", random_seed=1234 + repeat)
            seconds = time.perf_counter() - started
            print(
                f"{name:<10} {repeat + 1:>4} {seconds:>8.1f} {res.estimate:>9.0f} {res.lower:>9.0f} {res.upper:>9.0f} "
                f"{res.details['ess_bulk']:>7.0f} {', '.join(res.details['retained_terms'])}"
            )


if __name__ == "__main__":
    main()
