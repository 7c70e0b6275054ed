"""The ``mse`` command: a thin shell over the Python API.

Bad input gives one line on stderr and exit status 2, never a traceback: every
:class:`~mse.MSEError` (and a file that cannot be read or written) is reported
as ``mse: error: ...``, and warnings as ``mse: warning: ...``, one line each.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import pandas as pd

from mse.data.capture import CaptureData
from mse.disclosure import DisclosurePolicy, protect_diagnostics
from mse.errors import DataError, MSEError

__all__ = ["main"]


def _load(args: argparse.Namespace) -> CaptureData:
    from mse.data.datasets import load_dataset

    if args.dataset and args.csv:
        raise MSEError("give either --dataset or --csv, not both.")
    if args.dataset:
        # These options describe the columns of a CSV file; ignored here, they would let a user believe the
        # estimate used only the lists they named.
        given = [
            flag
            for flag, value in (
                ("--lists", args.lists),
                ("--covariates", args.covariates),
                ("--count", args.count if args.count != "count" else None),
                ("--records", args.records or None),
                ("--present", args.present),
            )
            if value is not None
        ]
        if given:
            verb = "describes" if len(given) == 1 else "describe"
            raise DataError(
                f"{', '.join(given)} {verb} the columns of a --csv file and cannot be used with --dataset; leave "
                "it out (to use some lists of a data set, save the table with "
                "mse.load_dataset(NAME).to_frame().to_csv(FILE, index=False) and pass --csv FILE)."
            )
        return load_dataset(args.dataset)
    if not args.csv:
        raise MSEError("give --dataset NAME (see `mse datasets`) or --csv FILE.")
    frame, delimiter = _read_csv(args.csv)
    covariates = _split(args.covariates)
    present = args.present
    if args.records:
        lists = _split(args.lists) or _default_lists(args.csv, frame, covariates)
        frame = _lists_as_text(args.csv, delimiter, frame, lists, present)
        return CaptureData.from_records(frame, lists=lists, covariates=covariates, present=present)
    count = args.count
    if count not in frame.columns:
        found = ", ".join(repr(str(c)) for c in frame.columns[:8]) + (", ..." if len(frame.columns) > 8 else "")
        raise DataError(
            f"{args.csv} has no {count!r} column (its columns are {found}); name the count column with --count, or "
            "pass --records for one row per person. Columns are separated by commas, semicolons or tabs."
        )
    lists = _split(args.lists) or _default_lists(args.csv, frame, [*covariates, count])
    frame = _lists_as_text(args.csv, delimiter, frame, lists, present)
    return CaptureData.from_counts(frame, lists=lists, count=count, covariates=covariates, present=present)


def _default_lists(path: str, frame: pd.DataFrame, others: Sequence[str]) -> list[str]:
    """Every column but ``others``, when ``--lists`` is not given; a column without a name is not taken."""
    lists = [c for c in frame.columns if c not in others]
    unnamed = [i for i, c in enumerate(frame.columns) if c in lists and str(c).startswith(_UNNAMED)]
    if unnamed:
        raise DataError(
            f"column {unnamed[0] + 1} of {path} has no name in the header line (a column of row numbers, as "
            "DataFrame.to_csv writes by default?); name the list columns with --lists, or name or remove that column."
        )
    return lists


#: How pandas names a column whose header cell is blank.
_UNNAMED = "Unnamed: "

#: Delimiters recognised in a CSV file's header line, besides the comma.
_OTHER_DELIMITERS = (";", "\t", "|")


def _read_csv(path: str) -> tuple[pd.DataFrame, str]:
    """The table in ``path`` and its delimiter.

    Spreadsheets in many locales write ``;``-separated files, and some tools
    tab-separated ones; read with a comma, such a file becomes one column whose
    name holds the whole header, and the error would be about a missing count
    column. So the delimiter is taken from the header line: a comma if it holds
    one, else whichever of ``;``, tab and ``|`` it holds most. A byte-order
    mark (as Excel writes) is dropped, and so are spaces around column names
    and after delimiters (``A, B, count``). A name that appears twice in the
    header is an error: the reader would otherwise rename the second one and
    take it for another list.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            header = next((line for line in handle if line.strip()), "")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path}: {exc}; give a UTF-8 text file of comma-separated values.") from None
    if not header.strip():
        raise DataError(f"{path} is empty; it needs a header line naming the columns and one line per row.")
    delimiter = ","
    if "," not in header:
        counts = {d: header.count(d) for d in _OTHER_DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        if counts[best]:
            delimiter = best
    try:
        frame = pd.read_csv(path, sep=delimiter, encoding="utf-8-sig", skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty; it needs a header line naming the columns and one line per row.") from None
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        message = " ".join(str(exc).split())
        raise DataError(f"cannot read {path} as a table: {message}; check the file is CSV text.") from None
    names = [name.strip() for name in next(csv.reader([header], delimiter=delimiter, skipinitialspace=True), [])]
    if len(names) == len(frame.columns):  # else a quoted name spans lines: keep the reader's names
        repeated = sorted({name for name in names if name and names.count(name) > 1})
        if repeated:
            raise DataError(
                f"{path} names the column(s) {repeated} more than once in its header line; give every column a "
                "distinct name."
            )
        frame.columns = [name or str(column) for name, column in zip(names, frame.columns)]
    return frame, delimiter


def _lists_as_text(
    path: str, delimiter: str, frame: pd.DataFrame, lists: Sequence[str], present: str | None
) -> pd.DataFrame:
    """With ``--present``, the list columns exactly as written in the file.

    A blank cell in a column of tick marks means "not on this list", but the
    CSV reader turns blanks (and "NA", "null", ...) into missing values; read
    the list columns again as text so that only what the file says is compared
    with ``--present``.
    """
    if present is None or not set(lists) <= set(frame.columns):
        return frame
    text = pd.read_csv(
        path, sep=delimiter, encoding="utf-8-sig", dtype=str, keep_default_na=False, skipinitialspace=True
    )
    text.columns = frame.columns
    frame = frame.copy()
    for name in lists:
        frame[name] = text[name].to_numpy()
    return frame


def _split(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("data")
    source.add_argument("--dataset", help="a bundled data set (see `mse datasets`)")
    source.add_argument("--csv", help="a CSV file of counts (lists..., count) or, with --records, one row per person")
    source.add_argument("--records", action="store_true", help="the CSV holds one row per person")
    source.add_argument("--lists", help="comma-separated list columns (default: every column but count/covariates)")
    source.add_argument("--covariates", help="comma-separated covariate columns")
    source.add_argument("--count", default="count", help="name of the count column (default: count)")
    source.add_argument(
        "--present",
        metavar="VALUE",
        help="the value that marks presence in list columns, such as yes or x (default: 0/1 or true/false); "
        "case and surrounding spaces are ignored, and only 0, no, n, false, f or a blank cell mean absent",
    )


def _add_disclosure_arguments(parser: argparse.ArgumentParser) -> None:
    publication = parser.add_argument_group("disclosure control (every number printed, text or JSON)")
    publication.add_argument(
        "--suppress-below",
        dest="suppress_below",
        type=int,
        metavar="K",
        help="show counts of people observed below K as <K, and withhold what would give them back",
    )
    publication.add_argument(
        "--round-to", dest="round_to", type=int, metavar="B", help="round numbers of people to multiples of B"
    )


def _policy(args: argparse.Namespace) -> DisclosurePolicy:
    return DisclosurePolicy(suppress_below=args.suppress_below, round_to=args.round_to)


def _parse_option(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise MSEError(f"--option takes KEY=VALUE, got {text!r}.")
    key, value = text.split("=", 1)
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _cmd_datasets(args: argparse.Namespace) -> int:
    from mse.data.datasets import list_datasets

    table = list_datasets()
    if args.json:
        print(table.to_json(orient="records", indent=2))
    else:
        with pd.option_context("display.max_colwidth", 70, "display.width", 200):
            print(table[["name", "lists", "n_observed", "covariates", "description"]].to_string(index=False))
    return 0


def _cmd_describe(args: argparse.Namespace) -> int:
    policy = _policy(args)
    data = _load(args)
    if args.dataset:
        from mse.data.datasets import dataset_info

        info = dataset_info(args.dataset)
        print(f"{info.name}: {info.description}")
        print(f"Cite: {info.citation}")
        print()
    print(data.summary(policy=policy))
    return 0


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """The estimator options the model arguments give (``--model``, ``--n-boot``, ``--option``, ...)."""
    options = dict(_parse_option(o) for o in args.option or [])
    if args.model:
        options["model"] = args.model
    for key in ("max_order", "p_threshold", "n_boot"):
        value = getattr(args, key, None)
        if value is not None:
            options[key] = value
    return options


def _fit(args: argparse.Namespace, data: CaptureData) -> Any:
    """The estimate the model arguments of ``mse estimate``, ``mse diagnose`` and ``mse report`` ask for."""
    from mse.api import estimate

    options = _options(args)
    with warnings.catch_warnings():
        # the summary lists every warning raised while fitting; do not print them twice
        warnings.simplefilter("ignore")
        return estimate(
            data, method=args.method, interval=args.interval, level=args.level, random_seed=args.seed, **options
        )


def _cmd_estimate(args: argparse.Namespace) -> int:
    policy = _policy(args)
    breakdowns = [_split(text) for text in args.by or []]
    if args.population and not breakdowns:
        raise MSEError("--population gives rates for the breakdowns asked for with --by; add --by COVARIATE.")
    if args.json and not policy.active and breakdowns:
        raise MSEError(
            "--json prints the whole result, from which every breakdown follows (mse.load_result(FILE)"
            ".breakdown(...)); leave out --by and --population, or add --suppress-below/--round-to for the "
            "published tables."
        )
    population = _population(args.population) if args.population else None
    result = _fit(args, _load(args))
    if args.save:
        result.save(args.save)  # the archive: whole and unprotected, as mse.Estimate.save keeps it
    tables = {",".join(names): _breakdown_table(result, names, population, policy) for names in breakdowns}
    if args.json:
        # unprotected: the whole result, which mse.load_result reads back; protected: what may be published
        if not policy.active:
            print(result.to_json(archive=True, indent=1))
        else:
            payload = json.loads(result.to_json(policy=policy))
            if tables:
                payload.setdefault("breakdowns", {}).update(
                    {key: json.loads(table.to_json(orient="records")) for key, table in tables.items()}
                )
            print(json.dumps(payload, indent=2))
    else:
        print(_speak_command_line(result.summary(policy=policy)) + _extras(result, policy))
        for key, table in tables.items():
            print(f"\nEstimated population by {key.replace(',', ' x ')} ({result.level:.0%} intervals):")
            print(_formatted(table).to_string(index=False))
            if population is not None and "rate" not in table:
                absent = [name for name in key.split(",") if name not in population.columns]
                print(f"  (no rates: {args.population} has no {' or '.join(absent)} column)")
    return 0 if result.ok else 1


def _population(path: str) -> pd.DataFrame:
    """The resident population by covariate levels: a CSV with covariate columns and ``population``."""
    frame, _ = _read_csv(path)
    if "population" not in frame.columns:
        raise DataError(
            f"{path} has no 'population' column; give one column per covariate (e.g. year,sex) and a "
            "'population' column with the number of residents in each combination."
        )
    values = pd.to_numeric(frame["population"], errors="coerce")
    if values.isna().any() or (values <= 0).any():
        row = int(((values <= 0) | values.isna()).to_numpy().argmax()) + 2
        raise DataError(f"line {row} of {path}: population must be a positive number.")
    return frame.assign(population=values)


def _breakdown_table(
    result: Any, names: list[str], population: pd.DataFrame | None, policy: DisclosurePolicy
) -> pd.DataFrame:
    """A breakdown as published, with rates per 100,000 residents when the population table covers it."""
    import mse

    rates = cast(Callable[..., pd.DataFrame], mse.rates)  # a lazy name of the package
    table = result.breakdown(names, policy=policy)
    if population is None:
        return table
    if any(name not in population.columns for name in names):
        return table  # the population table does not cover this breakdown: no rates for it (the header says so)
    # the population table may be finer than the breakdown: residents add up over the other columns
    summed = population.groupby(names, as_index=False, sort=False)["population"].sum()
    with_rates = rates(result, summed, by=names)
    for column in ("population", "rate", "rate_lower", "rate_upper"):
        table[column] = with_rates[column].to_numpy()
    withheld = [not isinstance(value, (int, float)) for value in table["estimate"]]
    for column in ("rate", "rate_lower", "rate_upper"):
        # a level whose estimate is withheld has its rate withheld too (the rate would give the estimate back)
        table[column] = [value if not hide else shown for value, hide, shown in zip(
            table[column].round(2), withheld, table["estimate"])]  # fmt: skip
    return table


def _formatted(table: pd.DataFrame) -> pd.DataFrame:
    """A table for the console, every number printed by what its column holds (see :mod:`mse.report.display`)."""
    from mse.report.display import display_value

    return pd.DataFrame({column: [display_value(v, str(column)) for v in table[column]] for column in table.columns})


def _change(text: str) -> tuple[str, Any, Any]:
    """``year:2016:2018`` as ``("year", 2016, 2018)``; levels that read as numbers become numbers."""
    parts = text.split(":")
    if len(parts) != 3 or not all(parts):
        raise MSEError(f"--change takes COVARIATE:FIRST:SECOND, e.g. year:2016:2018, got {text!r}.")
    covariate, *levels = parts
    values: list[Any] = []
    for level in levels:
        try:
            values.append(json.loads(level))
        except json.JSONDecodeError:
            values.append(level)
    return covariate, values[0], values[1]


def _cmd_report(args: argparse.Namespace) -> int:
    from mse.report import build_report
    from mse.results import load_result

    has_data = bool(args.dataset or args.csv)
    if args.result:
        result = load_result(args.result)
        data = _load(args) if has_data else None
    else:
        data = _load(args)
        result = _fit(args, data)
    by = [tuple(_split(text)) if "," in text else text for text in args.by or []]
    changes = [_change(text) for text in args.change or []]
    report = build_report(result, data, by=by, changes=changes, policy=_policy(args), title=args.title)
    path = report.save(args.output)
    print(f"wrote {path} ({path.stat().st_size:,} bytes): {', '.join(s.title for s in report.sections)}")
    return 0 if result.ok else 1


def _extras(result: Any, policy: DisclosurePolicy) -> str:
    """Standard error, terms at minus infinity and the model search, for the readable summary."""
    from mse.report.sections import search_view

    details = result.details
    lines = []

    def people(value: float) -> str:
        # an estimate under the policy: rounded, and withheld where it could be the suppressed count
        _, shown = policy.protect_values(float(result.observed), {"value": value})
        value = shown["value"]
        return value if isinstance(value, str) else f"{value:,.1f}" if policy.round_to is None else f"{value:,}"

    if "se" in details and details["se"] == details["se"]:
        lines.append(f"  {'std. error:':<18}{details['se']:,.1f}")
    if details.get("profile_maximum") is not None:
        lines.append(f"  {'profile maximum:':<18}{people(details['profile_maximum'])}")
    diverging = details.get("diverging_terms") or {}
    never_overlap = [term for term in details.get("infinite_terms") or () if term not in diverging]
    if never_overlap:
        lines.append(f"  {'at -infinity:':<18}{', '.join(never_overlap)} (lists never overlap)")
    if diverging:
        ways = ", ".join(f"{term} {way}" for term, way in diverging.items())
        cells = ", ".join(details.get("zero_fitted_cells") or ())
        lines.append(f"  {'infinite:':<18}{ways} (extended MLE; cells {cells} fitted at 0)")
    if details.get("non_overlapping_pairs"):
        lines.append(f"  {'no overlap:':<18}{', '.join(details['non_overlapping_pairs'])}")
    view = search_view(result, policy, top=5)
    if view is not None:
        lines.append("\n" + view.caption)
        table = view.frame.drop(columns=["status"], errors="ignore")
        if "added" in table:  # a forward path: the terms added tell it; the chosen model is printed above
            table = table.drop(columns=["model"], errors="ignore")
        if "p_value" in table:
            table["p_value"] = [f"{p:.2g}" if p == p else "" for p in table["p_value"]]
        table["estimate"] = [value if isinstance(value, str) else f"{value:,.0f}" for value in table["estimate"]]
        table.insert(0, "", ["*" if i == view.highlight else "" for i in range(len(table))])
        with pd.option_context(
            "display.width", 200, "display.max_colwidth", 70, "display.float_format", "{:,.1f}".format
        ):
            lines.append(table.to_string(index=False))
    return ("\n" + "\n".join(lines)) if lines else ""


def _cmd_compare(args: argparse.Namespace) -> int:
    from mse.api import compare

    policy = _policy(args)
    data = _load(args)
    methods = _split(args.methods) or None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = compare(data, methods, level=args.level, random_seed=args.seed, policy=policy)
    if args.json:
        print(table.to_json(orient="records", indent=2))
        return 0
    # A ResultTable prints people as whole numbers, as the summaries do, and notes the disclosure policy.
    view = table[["label", "model", "estimate", "lower", "upper", "interval_method", "status", "seconds"]]
    observed = policy.count(data.n_observed)
    observed_text = observed if isinstance(observed, str) else f"{observed:,}"
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(f"{observed_text} people observed on {data.n_lists} lists; {args.level:.0%} intervals\n")
        print(view.to_string(index=False))
    return 0


def _list_terms(model: str, lists: Sequence[str]) -> str:
    """The terms of a fitted model that involve lists only (a model with covariates has others too)."""
    model = re.sub(r"^[a-z_]+: ", "", model)  # "stepwise: A:B + ..." names the rule auto chose
    terms = [term.strip() for term in model.split("+")]
    kept = [term for term in terms if term and all(factor in lists for factor in term.split(":"))]
    return " + ".join(kept) if kept else "independence"


def _cmd_diagnose(args: argparse.Namespace) -> int:
    import mse
    from mse.diagnostics import goodness_of_fit, internal_consistency, overlap_diagnostics, sensitivity

    policy = _policy(args)
    full = _load(args)
    data = full.collapse_covariates()
    sections: dict[str, Any] = {}
    # The model diagnosed is the one mse estimate fits with the same arguments, covariates included.
    result = _fit(args, full)
    method, options = args.method, _options(args)
    check_estimability = cast(Callable[..., Any], mse.check_estimability)  # a lazy name of the package
    model = _list_terms(result.model, data.lists) if result.model else "independence"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = check_estimability(data, model)
        overlaps = overlap_diagnostics(data, model)
        fit: Mapping[str, Any] | None = (
            goodness_of_fit(result, influence=False) if "cells" in result.details else None
        )
        rerun = {"level": args.level, "random_seed": args.seed, **options}
        consistency = internal_consistency(full, method=method, **rerun) if data.n_lists >= 3 else None
        leave_out = sensitivity(full, method=method, **rerun) if data.n_lists >= 3 else None
    overlap_table: pd.DataFrame | None = overlaps.pairs
    if policy.active:
        protected = protect_diagnostics(
            policy, data, overlaps=overlaps.pairs, consistency=consistency, leave_out=leave_out
        )
        overlap_table = protected["overlaps"]
        consistency, leave_out = protected["consistency"], protected["sensitivity"]
        if fit is not None:
            fit = {**fit, "estimate": policy.protect(result).to_dict()["estimate"]}
    sections["diagnosed"] = {"method": method, "model": result.model, "status": result.status}
    sections["estimability"] = {
        "model": report.model,
        "mle_exists": report.mle_exists,
        "identifiable": report.identifiable,
        "non_overlapping_pairs": [":".join(p) for p in report.non_overlapping_pairs],
        "overlapping_triples": report.overlapping_triples,
        "empty_lists": report.empty_lists,
    }
    if args.json:
        assert overlap_table is not None
        sections["overlaps"] = json.loads(overlap_table.to_json(orient="records"))
        sections["uninformative_lists"] = overlaps.uninformative_lists
        sections["components"] = overlaps.components
        sections["estimate"] = result.to_dict(policy=policy)
        if policy.active:
            sections["disclosure"] = policy.to_dict()
        if fit is not None:
            sections["fit"] = {k: v for k, v in fit.items() if k != "cells"}
        for name, table in (("internal_consistency", consistency), ("sensitivity", leave_out)):
            if table is not None:
                sections[name] = json.loads(table.to_json(orient="records"))
        print(json.dumps(sections, indent=2, default=str))
        return 0
    with pd.option_context("display.width", 200, "display.max_colwidth", 50, "display.float_format", "{:,.3g}".format):
        print(f"Diagnosing what mse estimate fits with these arguments: method {method}, model {result.model or '-'}")
        if data.covariates != full.covariates:
            print(f"  the checks of the lists below use its terms between lists, {model!r}, on the table summed over "
                  f"{', '.join(full.covariates)}")  # fmt: skip
        print(f"Estimability of {report.model!r}: MLE exists: {report.mle_exists}; identifiable: {report.identifiable}")
        if report.non_overlapping_pairs:
            print("  pairs that never overlap: " + ", ".join(":".join(p) for p in report.non_overlapping_pairs))
        print(f"  overlapping triples: {report.overlapping_triples}")
        if overlaps.uninformative_lists:
            print("  lists whose members are on no other list: " + ", ".join(overlaps.uninformative_lists))
        if len(overlaps.components) > 1:
            print("  the lists split into separate groups: " + " | ".join(", ".join(c) for c in overlaps.components))
        print(f"\nPairwise overlaps under {overlaps.model!r}:")
        assert overlap_table is not None
        print(overlap_table.to_string(index=False))
        if policy.active:
            print("  (expected overlaps, odds ratios and their tests are computed from the counts: not shown)")
        print()
        print(_speak_command_line(result.summary(policy=policy)))
        if fit is not None:
            print(
                f"\nGoodness of fit: deviance {fit['deviance']:.3f} on {fit['df']} df (p = {fit['p_value']:.3g}), "
                f"Pearson X2 {fit['pearson']:.3f}"
            )
        if consistency is not None:
            print(f"\nInternal consistency (each list as a population of known size; {method}):")
            print(_formatted(consistency).to_string(index=False))
        if leave_out is not None:
            print(f"\nSensitivity to leaving out each list ({method}):")
            print(_formatted(leave_out.drop(columns=["kind"])).to_string(index=False))
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from mse.benchmark import run
    from mse.simulate import Scenario, generate

    try:
        with open(args.scenario, encoding="utf-8-sig") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(
            f"cannot read {args.scenario}: {exc}; give a scenario file as written by Scenario.to_json()."
        ) from None
    scenario = Scenario.from_json(text)
    if args.generate:
        data, truth = generate(scenario, args.seed if args.seed is not None else 0)
        data.to_frame().to_csv(args.generate, index=False)
        if args.json:  # --json was ignored here, leaving a pipeline to parse a sentence
            written = {
                "path": args.generate,
                "n_observed": data.n_observed,
                "n_lists": data.n_lists,
                "population_size": truth.population_size,
                "dark_figure": truth.dark_figure,
            }
            print(json.dumps(written, indent=2))
            return 0
        print(
            f"wrote {data.n_observed:,} observed people on {data.n_lists} lists to {args.generate} "
            f"(population {truth.population_size:,}, dark figure {truth.dark_figure:,})"
        )
        return 0
    methods = _split(args.methods) or ["independence", "stepwise"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = run(
            scenario,
            methods,
            args.replicates,
            random_seed=args.seed if args.seed is not None else 0,
            output=args.output,
            progress=None,
            n_workers=args.workers,
        )
    summary = study.summary()
    if args.json:
        print(summary.to_json(orient="records", indent=2))
    else:
        with pd.option_context("display.width", 200, "display.float_format", "{:,.3f}".format):
            print(summary.to_string(index=False))
    return 0


def _whole_number(minimum: int) -> Any:
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _coverage(text: str) -> float:
    """An argparse type: an interval coverage strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 0.95, got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1 (0.95 for 95 %), got {text}")
    return value


_seed = _whole_number(0)
_positive = _whole_number(1)


class _Parser(argparse.ArgumentParser):
    """Reports a usage mistake in one line, with exit status 2."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--method", default="auto", help="estimation method (default: auto)")
    parser.add_argument("--model", help='log-linear model, e.g. "LA:NG + NG:PF"')
    parser.add_argument("--interval", help="interval method: wald, profile, parametric_bootstrap, bca, bootstrap_top")
    parser.add_argument("--level", type=_coverage, default=0.95, help="interval coverage (default 0.95)")
    parser.add_argument("--seed", type=_seed, default=None, help="random seed")
    parser.add_argument(
        "--max-order", dest="max_order", type=_positive, help="highest interaction order searched (aic, bic)"
    )
    parser.add_argument(
        "--p-threshold", dest="p_threshold", type=float, help="stepwise p-value threshold (default 0.02)"
    )
    parser.add_argument("--n-boot", dest="n_boot", type=_positive, help="bootstrap replicates (bootstrap intervals)")
    parser.add_argument(
        "--option",
        action="append",
        metavar="KEY=VALUE",
        help="extra estimator option, value in JSON (repeatable), e.g. max_draws=200000 for lcmcr; runs are "
        "set in draws by default, and a time budget (max_seconds=600) is used only if given",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``mse`` command."""
    from mse._version import __version__

    parser = _Parser(prog="mse", description="Multiple-systems estimation of hidden populations.")
    parser.add_argument("--version", action="version", version=f"mse {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    datasets = commands.add_parser("datasets", help="list the bundled data sets")
    datasets.add_argument("--json", action="store_true", help="print JSON")
    datasets.set_defaults(handler=_cmd_datasets)

    describe = commands.add_parser("describe", help="summarise a data set: lists, overlaps, covariates")
    _add_data_arguments(describe)
    _add_disclosure_arguments(describe)
    describe.set_defaults(handler=_cmd_describe)

    run = commands.add_parser("estimate", help="estimate the population size")
    _add_data_arguments(run)
    _add_model_arguments(run)
    run.add_argument(
        "--json",
        action="store_true",
        help="print the whole result as JSON, which mse.load_result reads back (with the disclosure options: "
        "the protected result and breakdowns, for publication)",
    )
    run.add_argument(
        "--by",
        action="append",
        metavar="COVARIATE[,COVARIATE]",
        help="print the estimate by a covariate (repeatable); a comma-separated pair for their combinations",
    )
    run.add_argument(
        "--population",
        metavar="FILE",
        help="CSV of residents by covariate levels (columns: covariates..., population): adds rates per 100,000 "
        "to the --by tables",
    )
    run.add_argument(
        "--save",
        metavar="FILE",
        help="also save the whole result as JSON: an archive for inside the organisation, unprotected by the "
        "disclosure options, read back by mse report --result",
    )
    _add_disclosure_arguments(run)
    run.set_defaults(handler=_cmd_estimate)

    report = commands.add_parser("report", help="a self-contained HTML report of an estimate, for publication")
    _add_data_arguments(report)
    _add_model_arguments(report)
    report.add_argument("--result", metavar="FILE", help="report a result saved by mse estimate --save (no refit)")
    report.add_argument(
        "--by",
        action="append",
        metavar="COVARIATE[,COVARIATE]",
        help="a breakdown to show (repeatable); a comma-separated pair for their combinations, e.g. age,form",
    )
    report.add_argument(
        "--change", action="append", metavar="COVARIATE:FIRST:SECOND", help="a change to show, e.g. year:2016:2018"
    )
    report.add_argument("--title", help="the heading of the page")
    report.add_argument("--output", required=True, metavar="FILE", help="the HTML file to write, e.g. report.html")
    _add_disclosure_arguments(report)
    report.set_defaults(handler=_cmd_report)

    side_by_side = commands.add_parser("compare", help="several methods side by side")
    _add_data_arguments(side_by_side)
    side_by_side.add_argument("--methods", help="comma-separated methods (default: every suitable method)")
    side_by_side.add_argument("--level", type=_coverage, default=0.95, help="interval coverage (default 0.95)")
    side_by_side.add_argument("--seed", type=_seed, default=None, help="random seed")
    side_by_side.add_argument("--json", action="store_true", help="print JSON")
    _add_disclosure_arguments(side_by_side)
    side_by_side.set_defaults(handler=_cmd_compare)

    diagnose = commands.add_parser(
        "diagnose",
        help="estimability, overlaps, fit, internal consistency, sensitivity of the model mse estimate fits with "
        "the same arguments",
    )
    _add_data_arguments(diagnose)
    _add_model_arguments(diagnose)
    diagnose.add_argument("--json", action="store_true", help="print JSON")
    _add_disclosure_arguments(diagnose)
    diagnose.set_defaults(handler=_cmd_diagnose)

    simulate = commands.add_parser("simulate", help="a simulation study from a scenario file (JSON)")
    simulate.add_argument("scenario", help="scenario JSON, as written by mse.simulate.Scenario.to_json()")
    simulate.add_argument("--methods", help="comma-separated methods (default: independence,stepwise)")
    simulate.add_argument("--replicates", type=_positive, default=100, help="replicates (default 100)")
    simulate.add_argument("--seed", type=_seed, default=None, help="random seed (default 0)")
    simulate.add_argument("--workers", type=_positive, default=None, help="worker processes (default: all cores)")
    simulate.add_argument("--output", help="CSV file that receives results as they finish; a rerun resumes")
    simulate.add_argument("--generate", metavar="CSV", help="write one simulated data set to CSV instead")
    simulate.add_argument("--json", action="store_true", help="print JSON")
    simulate.set_defaults(handler=_cmd_simulate)
    return parser


#: Arguments of the Python functions that the command takes as flags of its own.
_FLAGS = {
    "method": "--method",
    "interval": "--interval",
    "model": "--model",
    "level": "--level",
    "n_boot": "--n-boot",
    "max_order": "--max-order",
    "p_threshold": "--p-threshold",
    "random_seed": "--seed",
    "lists": "--lists",
    "covariates": "--covariates",
    "present": "--present",
    "count": "--count",
}
#: A keyword argument quoted in a message: ``name=value``, the value a Python literal.
_KEYWORD = re.compile(r"(?<![\w.-])([a-z][a-z_]*)=('[^']*'|\"[^\"]*\"|\[[^\]]*\]|\([^)]*\)|[^\s,;)]+)")
#: Python spellings with no keyword form, and what the command says instead.
_PHRASES = (
    (re.compile(r"mse\.list_datasets\(\)"), "`mse datasets`"),
    (re.compile(r", or pass drop_unobserved=True to drop them with a warning"), " from the file"),
)


def _literal(value: str) -> str:
    """A Python literal from a message as the command line writes it: no quotes, lists comma-separated."""
    if value[:1] in "'\"":
        return value[1:-1]
    if value[:1] in "[(":
        return ",".join(item.strip(" '\"") for item in value[1:-1].split(",") if item.strip(" '\""))
    return {"True": "true", "False": "false", "None": "null"}.get(value, value)


def _speak_command_line(text: str) -> str:
    """A message written for Python users, reworded for the command: flags instead of keyword arguments.

    The library's messages say what to pass (``method='lcmcr'``,
    ``heterogeneity_check=False``); on the command line the same advice is a
    flag (``--method lcmcr``) or an ``--option`` (``--option
    heterogeneity_check=false``).
    """
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)

    def reword(match: re.Match[str]) -> str:
        name, value = match.group(1), _literal(match.group(2))
        if name in _FLAGS:
            if name == "covariates" and not value:
                return "no --covariates"
            return f'{_FLAGS[name]} "{value}"' if " " in value else f"{_FLAGS[name]} {value}"
        if "_" in name or name in ("prior", "candidates"):
            return f"--option {name}={value}"
        return match.group(0)

    return _KEYWORD.sub(reword, text)


def _one_line(text: object) -> str:
    return _speak_command_line(" ".join(str(text).split()))


def _show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    # The source line of a warning means nothing to a user of the command: one line with the message.
    print(f"mse: warning: {_one_line(message)}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mse`` command; returns the exit status.

    Returns
    -------
    int
        0 on success; 1 when ``mse estimate`` gives a result whose status is
        not "ok" (the summary says why); 2 for bad input: an
        :class:`~mse.MSEError`, or a file that cannot be read or written,
        reported in one line on standard error. A usage mistake exits with
        status 2 from the argument parser (:class:`SystemExit`).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return int(args.handler(args))
        except MSEError as exc:
            print(f"mse: error: {_one_line(exc)}", file=sys.stderr)
            return 2
        except BrokenPipeError:
            return 0
        except OSError as exc:  # a file that cannot be written (--generate, --output): the user's to fix
            print(f"mse: error: {_one_line(exc)}; check the path and that it can be written.", file=sys.stderr)
            return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
