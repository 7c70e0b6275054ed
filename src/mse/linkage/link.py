"""Probabilistic linkage of pseudonymised records with Splink (Fellegi-Sunter, EM without labels).

:func:`link` takes the token frames that each agency made with
:func:`mse.linkage.pseudonymise` (one per list), scores every candidate pair
of records on different lists with a Fellegi-Sunter model whose parameters
are estimated from the tokens alone, and returns a
:class:`~mse.linkage.LinkageResult`. Splink does the SQL, on DuckDB (one
machine, the default) or on Spark. Nothing here is imported by ``import mse``;
Splink, DuckDB and PySpark are imported when :func:`link` runs.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import math
import re
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mse.errors import (
    ConvergenceWarning,
    DataError,
    DataWarning,
    EstimabilityError,
    EstimabilityWarning,
    ModelError,
    warn,
)
from mse.linkage.result import LinkageResult
from mse.options import check_random_seed

__all__ = ["FIELD_TOKENS", "MIN_PAIR_PROBABILITY", "link"]

#: Each identifying field and its token columns, from the most to the least specific: the levels of
#: its comparison are "agrees on the first", "else agrees on the second", ..., "else disagrees".
FIELD_TOKENS: dict[str, tuple[str, ...]] = {
    "last_name": ("token_last_name", "token_last_name_phonetic"),
    "first_name": ("token_first_name", "token_first_name_phonetic", "token_first_initial"),
    "birth_date": ("token_birth_date", "token_birth_date_unordered", "token_birth_year"),
    "sex": ("token_sex",),
    "nationality": ("token_nationality",),
}
_KNOWN_TOKENS = frozenset(column for columns in FIELD_TOKENS.values() for column in columns)
_TOKEN = re.compile(r"[0-9a-f]{32}")

#: The fields compared by default. Sex and nationality are left out: they are all but fixed by the
#: names (a first name by sex, names by nationality), so they add little evidence and break the
#: independence of the comparisons that the Fellegi-Sunter model assumes; in simulated Dutch
#: records, comparing them made EM take families sharing a surname for matches (precision 0.69
#: instead of 0.97). They still serve in blocking.
DEFAULT_COMPARE: tuple[str, ...] = ("last_name", "first_name", "birth_date")

#: Candidate pairs below this match probability are left out of the result (treated as non-matches).
MIN_PAIR_PROBABILITY = 0.001
# Pairs below this are not even collected from the engine; they add at most this much each to the
# expected number of matches from which the prior is estimated.
_COLLECT_PROBABILITY = 1e-6

# Blocking rules for the candidate pairs, most useful first: each lets through pairs that disagree
# on everything else, so a typing error in one field does not hide a match. A rule is used when all
# its columns are in every frame; a rule in brackets is used only if the ones before it in its group
# were not (a pair agreeing on the unordered date also agrees on the year, so it adds nothing then).
_BLOCKING_GROUPS: tuple[tuple[tuple[str, ...], ...], ...] = (
    (("token_birth_year",), ("token_birth_date_unordered",), ("token_birth_date",)),
    (("token_last_name_phonetic",), ("token_last_name",)),
    (("token_first_name_phonetic", "token_sex"), ("token_first_name_phonetic",), ("token_first_name", "token_sex")),
)
# EM is run once per rule on two different fields, so that each comparison is estimated on pairs
# that were not selected for agreeing on it (a rule's own field cannot be learnt from its pairs).
_EM_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("birth_date", "token_birth_year"),
    ("last_name", "token_last_name_phonetic"),
    ("first_name", "token_first_name_phonetic"),
    ("birth_date", "token_birth_date"),
    ("last_name", "token_last_name"),
    ("first_name", "token_first_name"),
)
# Clear columns whose names suggest an identifier; such a column must be pseudonymised, not kept.
_IDENTIFYING = re.compile(
    r"(^|_)(names?|first|last|surname|forename|given|initials?|birth|dob|born|address|street|postcode|"
    r"zip|phone|mobile|email|e_mail|passport|bsn|ssn|nin|national_id|id_number|idnumber)($|_)|"
    r"(first|last|sur|fore|given|family|maiden)name",
    re.IGNORECASE,
)
_LINKAGE_EXTRA = 'pip install "multiple-systems-estimation[linkage]"'
_SPARK_EXTRA = 'pip install "multiple-systems-estimation[spark]"'


def link(
    frames: Mapping[str, pd.DataFrame] | pd.DataFrame,
    *,
    backend: str = "duckdb",
    spark: Any = None,
    threshold: float = 0.5,
    random_seed: int | None = None,
    blocking: Sequence[Sequence[str]] | None = None,
    max_iterations: int = 40,
    em_tolerance: float = 1e-4,
    u_max_pairs: float = 5e5,
    compare: Sequence[str] = DEFAULT_COMPARE,
) -> LinkageResult:
    """Link pseudonymised records of several lists into people, with a match probability for each candidate pair.

    A Fellegi-Sunter model (Fellegi & Sunter, 1969) compares each pair of
    records on different lists field by field; its parameters are estimated
    from the tokens alone, with no labelled pairs (Enamorado, Fifield & Imai,
    2019), by Splink (Linacre et al., 2022):

    - the *u* probabilities (how often two different people agree at each
      level) from all pairs of records on different lists, or from about
      ``u_max_pairs`` of them chosen at random with ``random_seed`` when
      there are more (nearly all pairs are of two different people);
    - the *m* probabilities (how often two records of one person agree at
      each level) by expectation-maximisation on the pairs that agree on the
      year of birth, then on those that agree on the phonetic last name, so
      that every field is learnt from pairs not chosen for agreeing on it
      (the non-matches' agreement rates within these pairs are estimated
      too, since people who share a surname share more than random pairs);
    - the prior probability that two records on different lists are of one
      person, started from pairs that agree on every full token (taking
      these to find 80 % of the matches) and then estimated with the *m*
      and *u* above as the expected number of matches among all pairs,
      iterated to its fixed point (the EM update of the prior alone).

    A list is taken to hold each person once ("link only"): records of one
    list are never compared.

    Parameters
    ----------
    frames
        The token frames, as :func:`mse.linkage.pseudonymise` makes them:
        a mapping from list name to that list's frame, or one frame with a
        ``list`` column. Each frame has a ``record_id`` column (unique over
        all frames), token columns (``token_last_name``, ...; 32 hexadecimal
        characters or missing) and, optionally, non-identifying covariates to
        keep. At least two lists. Only the token columns present in every
        frame are compared.
    backend
        ``"duckdb"`` (in memory, on this machine) or ``"spark"``.
    spark
        A ``pyspark.sql.SparkSession`` for ``backend="spark"``. Without one,
        the active session if there is one, else a local session
        (``local[1]``) started for the call and stopped afterwards.
    threshold
        Pairs with a match probability at or above it are links; the
        records' clusters (people) are the connected components of the links.
    random_seed
        Seeds the sample of pairs for the *u* probabilities. ``None`` draws
        a seed, recorded in ``metadata["random_seed"]``.
    blocking
        The blocking rules that choose candidate pairs, each a sequence of
        token columns on which a pair must agree (a pair is a candidate when
        it passes any rule). By default: the year of birth; the phonetic last
        name; the phonetic first name and sex (those available), so that a
        typing error in one field does not stop a pair from being scored.
    max_iterations, em_tolerance
        The EM runs stop after ``max_iterations`` or when no probability
        changes by more than ``em_tolerance``; hitting the limit gives a
        :class:`~mse.ConvergenceWarning`.
    compare
        The fields compared: by default last name, first name and birth
        date. Sex and nationality (``"sex"``, ``"nationality"``) can be
        added; they are left out by default because the names all but fix
        them, which breaks the independence of the comparisons that the
        model assumes (they still serve in blocking).
    u_max_pairs
        How many pairs of records on different lists to compare for the *u*
        probabilities: all of them when there are fewer, else a sample
        chosen by a hash of the record ids and ``random_seed`` (the hash is
        the engine's own, so DuckDB and Spark then draw different samples).

    Returns
    -------
    LinkageResult
        ``records``: ``record_id``, ``list``, the kept covariates and the
        ``cluster`` at ``threshold`` (no token leaves this function);
        ``pairs``: every candidate pair of records on different lists with
        ``match_probability >= 0.001``, the left record on the earlier list.
        These are what the estimators use to sample link configurations and
        to estimate missed links; pairs not listed are taken as non-matches.
        ``parameters``: ``probability_two_random_records_match`` (the prior)
        and, under ``comparisons``, the *m* and *u* probability of each level
        of each comparison. ``metadata``: the seed, the versions of Splink and
        of the engine, a SHA-256 of the input tokens, the blocking and EM
        rules, the number of candidate pairs.

    Raises
    ------
    DataError
        Fewer than two lists; a frame without ``record_id``; repeated record
        ids; no token column common to all frames, or fewer than two of the
        fields last name, first name and birth date; a token that is not 32
        hexadecimal characters; a clear column whose name looks identifying.
    EstimabilityError
        When the model cannot be estimated from these records: no pair agrees
        on every full token (the lists share nobody, or were pseudonymised
        with different keys), or a training rule finds no pairs (too few
        records).
    ModelError
        An unknown backend, a ``spark`` session with ``backend="duckdb"``,
        or a bad ``threshold`` or ``random_seed``.
    ImportError
        Splink, DuckDB or PySpark is not installed; the message says which
        extra to install.

    Warns
    -----
    ConvergenceWarning
        An EM run stopped at ``max_iterations``.
    EstimabilityWarning
        A comparison level was never seen in training: an unseen *m* takes
        the level's *u* (the level counts as no evidence), an unseen *u* half
        a pair among those sampled, rather than Splink's 1e-6.

    References
    ----------
    Fellegi, I. P., & Sunter, A. B. (1969). A theory for record linkage.
    *Journal of the American Statistical Association*, 64(328), 1183-1210.

    Linacre, R., Lindsay, S., Manassis, T., Slade, Z., Hepworth, T., Kennedy,
    R., & Bond, A. (2022). Splink: Free software for probabilistic record
    linkage at scale. *International Journal of Population Data Science*,
    7(3).

    Enamorado, T., Fifield, B., & Imai, K. (2019). Using a probabilistic model
    to assist merging of large-scale administrative records. *American
    Political Science Review*, 113(2), 353-371.

    Examples
    --------
    Two lists of 60 and 50 records, 40 people on both, pseudonymised by
    hand here (agencies use :func:`mse.linkage.pseudonymise`):

    >>> import hashlib, hmac
    >>> import pandas as pd
    >>> from mse.linkage import link
    >>> def token(field, value):
    ...     return hmac.new(b"key", f"{field}\\x1f{value}".encode(), hashlib.sha256).hexdigest()[:32]
    >>> def frame(name, people):
    ...     return pd.DataFrame({
    ...         "record_id": [f"{name}:{i:016x}" for i in range(len(people))],
    ...         "token_last_name": [token("last_name", f"L{p % 37}") for p in people],
    ...         "token_first_name": [token("first_name", f"F{p % 23}") for p in people],
    ...         "token_birth_year": [token("birth_year", 1950 + p % 41) for p in people],
    ...         "token_sex": [token("sex", p % 2) for p in people],
    ...     })
    >>> result = link({"A": frame("A", range(60)), "B": frame("B", range(20, 90))}, random_seed=1)
    >>> result.n_records, result.n_clusters
    (130, 90)
    >>> sorted(result.records.columns)
    ['cluster', 'list', 'record_id']
    """
    checked = _checked_input(frames)
    threshold = _checked_threshold(threshold)
    seed = check_random_seed(random_seed)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0] % (2**31))
    if backend not in ("duckdb", "spark"):
        raise ModelError(f"backend must be 'duckdb' or 'spark', got {backend!r}.")
    if spark is not None and backend != "spark":
        raise ModelError("a Spark session was given with backend='duckdb'; pass backend='spark' to use it.")
    if isinstance(max_iterations, bool) or not (isinstance(max_iterations, int) and max_iterations >= 1):
        raise ModelError(f"max_iterations must be a positive integer, got {max_iterations!r}.")
    if not (em_tolerance > 0 and u_max_pairs >= 1):
        raise ModelError("em_tolerance and u_max_pairs must be positive.")
    design = _design(checked.tokens, blocking, compare)

    splink = _import_splink(backend)
    with _splink_quietly() as messages, _m_floored(), _engine(backend, spark) as (db_api, engine_version):
        scored = _fit_and_score(
            splink,
            db_api,
            checked,
            design,
            seed,
            max_iterations=max_iterations,
            em_tolerance=em_tolerance,
            u_max_pairs=float(u_max_pairs),
        )
    _reissue(messages)
    _warn_about_the_fit(scored, design, max_iterations, em_tolerance)

    pairs, prior = _with_prior_at_fixed_point(scored.pairs, checked.sizes, scored.prior)
    pairs = _oriented(pairs[pairs["match_probability"] >= MIN_PAIR_PROBABILITY], checked)
    parameters = {
        "probability_two_random_records_match": prior,
        "comparisons": scored.comparisons,
    }
    metadata = {
        "random_seed": seed,
        "splink_version": importlib.metadata.version("splink"),
        ("pyspark_version" if backend == "spark" else "duckdb_version"): engine_version,
        "tokens_sha256": checked.digest,
        "token_columns": list(checked.tokens),
        "blocking_rules": [list(rule) for rule in design.blocking],
        "em_rules": [list(rule) for rule in design.em],
        "em_iterations": scored.em_iterations,
        "candidate_pairs_collected": scored.n_candidates,
        "prior_start": scored.prior,
    }
    return LinkageResult(
        records=checked.records,
        pairs=pairs,
        lists=checked.lists,
        threshold=threshold,
        backend=backend,
        parameters=parameters,
        metadata=metadata,
    )


# --- input -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Input:
    lists: tuple[str, ...]
    frames: dict[str, pd.DataFrame]  # list name -> record_id + common token columns
    records: pd.DataFrame  # record_id, list, kept covariates
    tokens: tuple[str, ...]  # the token columns common to every frame
    sizes: tuple[int, ...]
    digest: str


def _checked_threshold(threshold: Any) -> float:
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        value = math.nan
    if not (0.0 < value < 1.0) or isinstance(threshold, bool):
        raise ModelError(f"threshold must be a probability strictly between 0 and 1, got {threshold!r}.")
    return value


def _split(frames: Mapping[str, pd.DataFrame] | pd.DataFrame) -> dict[str, pd.DataFrame]:
    if isinstance(frames, pd.DataFrame):
        if "list" not in frames.columns:
            raise DataError(
                "one frame needs a 'list' column naming each record's list; or pass a mapping "
                "{list name: frame}."
            )
        names = pd.unique(frames["list"].astype(str))
        return {str(name): frames.loc[frames["list"].astype(str) == name] for name in names}
    if not isinstance(frames, Mapping):
        raise DataError(
            f"frames must be a mapping {{list name: token frame}} or one frame with a 'list' column, "
            f"got {type(frames).__name__}."
        )
    split: dict[str, pd.DataFrame] = {}
    for name, frame in frames.items():
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"the frame of list {name!r} is a {type(frame).__name__}, not a pandas DataFrame.")
        if "list" in frame.columns and not (frame["list"].astype(str) == str(name)).all():
            raise DataError(f"the frame given for list {name!r} has records of other lists in its 'list' column.")
        split[str(name)] = frame
    return split


def _checked_input(frames: Mapping[str, pd.DataFrame] | pd.DataFrame) -> _Input:
    split = _split(frames)
    lists = tuple(split)
    if len(lists) < 2:
        raise DataError(f"linkage needs records of at least two lists, got {list(lists)}.")
    empty = [name for name, frame in split.items() if len(frame) == 0]
    if empty:
        raise DataError(f"list(s) {empty} have no records; drop them before linking.")
    for name, frame in split.items():
        if "record_id" not in frame.columns:
            raise DataError(
                f"the frame of list {name!r} has no 'record_id' column; use the frames that "
                "mse.linkage.pseudonymise returns."
            )
    ids = pd.concat([frame["record_id"].astype(str) for frame in split.values()], ignore_index=True)
    if ids.duplicated().any():
        raise DataError(
            f"record_id must be unique over all lists; repeated: {ids[ids.duplicated()].unique()[:3].tolist()}."
        )

    token_sets = [{c for c in frame.columns if str(c).startswith("token_")} for frame in split.values()]
    unknown = sorted(set().union(*token_sets) - _KNOWN_TOKENS)
    if unknown:
        warn(f"token column(s) {unknown} are not among the tokens the linkage compares; they are ignored.", DataWarning)
    common = set.intersection(*token_sets) & _KNOWN_TOKENS
    partial = sorted((set().union(*token_sets) & _KNOWN_TOKENS) - common)
    if not common:
        raise DataError(
            "the frames have no token column in common (token_last_name, token_birth_year, ...); pseudonymise "
            "every list with the same fields (mse.linkage.pseudonymise(..., fields=...))."
        )
    if partial:
        warn(f"token column(s) {partial} are not in every list's frame; they are not compared.", DataWarning)
    tokens = tuple(column for column in sorted(_KNOWN_TOKENS) if column in common)

    kept: list[str] = []
    for frame in split.values():
        for column in frame.columns:
            column = str(column)
            if column in ("record_id", "list") or column.startswith("token_") or column in kept:
                continue
            if _IDENTIFYING.search(column):
                raise DataError(
                    f"column {column!r} looks identifying and is not a token; pseudonymise it "
                    "(mse.linkage.pseudonymise) or drop it before linking."
                )
            kept.append(column)

    token_frames: dict[str, pd.DataFrame] = {}
    record_parts = []
    for name, frame in split.items():
        part = frame.reset_index(drop=True)
        token_frame = part.loc[:, ["record_id", *tokens]].copy()
        token_frame["record_id"] = token_frame["record_id"].astype(str)
        for column in tokens:
            values = token_frame[column].astype(object).where(token_frame[column].notna(), None)
            present = values[values.notna()].astype(str)
            bad = ~present.str.fullmatch(_TOKEN)
            if bad.any():
                raise DataError(
                    f"column {column!r} of list {name!r} holds values that are not tokens (32 lowercase "
                    "hexadecimal characters, or missing); pseudonymise the fields with mse.linkage.pseudonymise."
                )
            token_frame[column] = values
        token_frames[name] = token_frame
        records = pd.DataFrame({"record_id": token_frame["record_id"], "list": name})
        for column in kept:
            records[column] = part[column] if column in part.columns else pd.NA
        record_parts.append(records)
    records = pd.concat(record_parts, ignore_index=True)

    digest = hashlib.sha256()
    for name in lists:
        canonical = token_frames[name].sort_values("record_id", kind="stable")
        digest.update(name.encode("utf-8") + b"\x1e")
        digest.update(canonical.to_csv(index=False, na_rep="").encode("utf-8"))
    return _Input(
        lists=lists,
        frames=token_frames,
        records=records,
        tokens=tokens,
        sizes=tuple(len(token_frames[name]) for name in lists),
        digest=digest.hexdigest(),
    )


# --- model design ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Design:
    comparisons: dict[str, tuple[str, ...]]  # field -> its token columns present, most specific first
    blocking: tuple[tuple[str, ...], ...]
    em: tuple[tuple[str, ...], ...]
    deterministic: tuple[str, ...]  # full tokens a sure match agrees on


def _design(tokens: Sequence[str], blocking: Sequence[Sequence[str]] | None, compare: Sequence[str]) -> _Design:
    present = set(tokens)
    compare = (compare,) if isinstance(compare, str) else tuple(compare)
    unknown = sorted(set(compare) - set(FIELD_TOKENS))
    if unknown:
        raise ModelError(f"compare names unknown field(s) {unknown}; the fields are {list(FIELD_TOKENS)}.")
    comparisons = {
        field: tuple(c for c in columns if c in present)
        for field, columns in FIELD_TOKENS.items()
        if field in compare and any(c in present for c in columns)
    }
    identifying = [field for field in ("last_name", "first_name", "birth_date") if field in comparisons]
    if len(identifying) < 2:
        raise DataError(
            f"the common tokens {sorted(present)} cover {identifying or 'none'} of last name, first name and "
            "birth date; a linkage model needs at least two of them to tell people apart."
        )
    if blocking is None:
        rules = []
        for group in _BLOCKING_GROUPS:
            for rule in group:
                if all(column in present for column in rule):
                    rules.append(rule)
                    break
        chosen = tuple(rules)
    else:
        chosen = tuple(tuple(str(c) for c in ([rule] if isinstance(rule, str) else rule)) for rule in blocking)
        if not chosen or any(not rule for rule in chosen):
            raise ModelError("blocking must be a non-empty sequence of non-empty sequences of token columns.")
        missing = sorted({c for rule in chosen for c in rule} - present)
        if missing:
            raise ModelError(f"blocking names column(s) {missing} that are not token columns of every frame.")
    em: list[tuple[str, ...]] = []
    fields_used: set[str] = set()
    for field, column in _EM_CANDIDATES:
        if column in present and field not in fields_used and len(em) < 2:
            em.append((column,))
            fields_used.add(field)
    deterministic = tuple(columns[0] for field, columns in comparisons.items() if field in identifying)
    return _Design(comparisons=comparisons, blocking=chosen, em=tuple(em), deterministic=deterministic)


# --- engines -----------------------------------------------------------------------------------


def _import_splink(backend: str) -> Any:
    extra = _SPARK_EXTRA if backend == "spark" else _LINKAGE_EXTRA
    try:
        import splink
        import splink.comparison_level_library
        import splink.comparison_library
    except ImportError as error:
        raise ImportError(f"mse.linkage.link needs Splink: {extra}") from error
    module = "pyspark" if backend == "spark" else "duckdb"
    try:
        importlib.import_module(module)
    except ImportError as error:
        raise ImportError(f"backend={backend!r} needs {module}: {extra}") from error
    return splink


@contextmanager
def _engine(backend: str, spark: Any) -> Iterator[tuple[Any, str]]:
    """The Splink database API for ``backend`` and the engine's version; a Spark session started here is stopped."""
    if backend == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        connection = duckdb.connect(":memory:")
        try:
            yield DuckDBAPI(connection), duckdb.__version__
        finally:
            connection.close()
        return

    import pyspark
    from splink import SparkAPI

    if spark is None:
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession()  # the caller's session, if one runs, is not ours to stop
    own = spark is None
    warehouse = tempfile.mkdtemp(prefix="mse-spark-") if own else None
    if own:
        spark = _local_spark(warehouse)
    try:
        # Intermediate tables are kept in memory unless the session has a checkpoint directory
        # (Splink's default for Spark, writing parquet there, needs one).
        checkpoint = spark.sparkContext._jsc.sc().getCheckpointDir()
        method = None if not checkpoint.isEmpty() else "persist"
        yield SparkAPI(spark_session=spark, break_lineage_method=method, register_udfs_automatically=False), (
            pyspark.__version__
        )
    finally:
        if own:
            spark.stop()
            if warehouse is not None:
                shutil.rmtree(warehouse, ignore_errors=True)


def _local_spark(warehouse: str | None) -> Any:
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[1]")
        .appName("mse.linkage.link")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", warehouse)  # not spark-warehouse/ in the working directory
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.showConsoleProgress", "false")
        # A session started here is for data one machine holds: compiling whole-stage code and
        # re-planning adaptively cost more than they save on small tables (a third of the time).
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


# --- fitting -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scored:
    pairs: pd.DataFrame  # record_id_l, record_id_r, match_weight (log2 odds at `prior`)
    prior: float
    comparisons: dict[str, list[dict[str, Any]]]
    em_iterations: list[int]
    n_candidates: int  # candidate pairs with a match probability of at least _COLLECT_PROBABILITY
    unestimated: list[tuple[str, str, str]]  # (comparison, level, "m" or "u") never seen in training


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _splink_quietly() -> Iterator[list[str]]:
    """Hold Splink's log messages and Python warnings back; yield the list that collects its warnings."""
    logger = logging.getLogger("splink")
    saved = (logger.level, logger.propagate, list(logger.handlers))
    collector = _Collector()
    logger.handlers = [collector]
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield collector.messages
        collector.messages.extend(
            str(w.message)
            for w in caught
            if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning, FutureWarning))
        )
    finally:
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
        logger.handlers = saved[2]


#: The least m or u probability an EM step may give a level (Splink's own value for a level it never saw).
M_FLOOR = 1e-6


@contextmanager
def _m_floored(floor: float = M_FLOOR) -> Iterator[None]:
    """Keep each EM step's m and u probabilities at or above ``floor`` while Splink trains.

    When no match shows a level (clean dates: no match agrees on the year
    only), EM takes its m towards 0, its maximum-likelihood value; within a
    few iterations the m of that level underflows to exactly 0, which Splink
    refuses with a ``ValueError`` in the middle of training (the u estimated
    within a training block likewise). Flooring each M-step's values keeps EM
    on the same path (the level stays very strong evidence against a match)
    without leaving floating point. Splink has no
    option for this, so its M-step helper is wrapped for the duration of the
    call (and left alone if a later Splink no longer has it).
    """
    try:
        from splink.internals import expectation_maximisation as em
    except ImportError:  # pragma: no cover - a Splink without the module
        yield
        return
    original = getattr(em, "populate_m_u_from_lookup", None)
    if original is None:  # pragma: no cover
        yield
        return

    def floored(training_fixed_probabilities: Any, comparison_level: Any, output_column_name: str, lookup: Any) -> Any:
        for record in lookup.get(output_column_name, {}).values():
            for key in ("m_probability", "u_probability"):
                value = record.get(key)
                if isinstance(value, int | float) and value < floor:
                    record[key] = floor
        return original(training_fixed_probabilities, comparison_level, output_column_name, lookup)

    setattr(em, "populate_m_u_from_lookup", floored)  # noqa: B010  (a typed module attribute)
    try:
        yield
    finally:
        setattr(em, "populate_m_u_from_lookup", original)  # noqa: B010


def _comparison(splink: Any, field: str, columns: Sequence[str]) -> Any:
    cl = splink.comparison_library
    cll = splink.comparison_level_library
    # Null when a side has none of the field's tokens, so a record with a year of birth but no full
    # date is still compared on the year.
    null = " OR ".join(
        "(" + " AND ".join(f'"{column}_{side}" IS NULL' for column in columns) + ")" for side in ("l", "r")
    )
    # Written in DuckDB's SQL (double-quoted names); Splink translates it for Spark.
    levels = [
        cll.CustomLevel(null, label_for_charts=f"{field} missing", base_dialect_str="duckdb").configure(
            is_null_level=True
        )
    ]
    levels += [cll.ExactMatchLevel(column).configure(label_for_charts=f"{column} equal") for column in columns]
    levels.append(cll.ElseLevel().configure(label_for_charts="all differ"))
    return cl.CustomComparison(levels, output_column_name=field)


def _fit_and_score(
    splink: Any,
    db_api: Any,
    checked: _Input,
    design: _Design,
    seed: int,
    *,
    max_iterations: int,
    em_tolerance: float,
    u_max_pairs: float,
) -> _Scored:
    from splink import Linker, SettingsCreator, block_on
    from splink.internals.exceptions import SplinkException

    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[_comparison(splink, field, columns) for field, columns in design.comparisons.items()],
        blocking_rules_to_generate_predictions=[block_on(*rule) for rule in design.blocking],
        unique_id_column_name="record_id",
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=max_iterations,
        em_convergence=em_tolerance,
    )
    # The display name becomes each record's source_dataset, which the seeded hash that samples pairs
    # for u reads: it must not change from call to call. The table name must (Spark's temporary views
    # are shared by the session).
    suffix = uuid.uuid4().hex[:12]
    iterations: list[int] = []
    tables = [
        db_api.register(
            checked.frames[name], dataset_display_name=f"list_{position}", table_name=f"mse_list_{position}_{suffix}"
        )
        for position, name in enumerate(checked.lists)
    ]
    try:
        linker = Linker(tables, settings, log_level=None)
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*design.deterministic)], recall=0.8
        )
        start = float(linker._settings_obj._probability_two_random_records_match)
        if start <= 0.0:
            raise EstimabilityError(
                f"no pair of records on different lists agrees on all of {list(design.deterministic)}: the "
                "lists seem to share nobody, or were pseudonymised with different keys (every agency must "
                "use the same key). The linkage model cannot be estimated."
            )
        linker.training.estimate_u_using_random_sampling(
            max_pairs=u_max_pairs, seed=seed, min_count_per_level=None, num_chunks=1
        )
        # Within a training block the non-matches agree more often than random pairs do (people who share a
        # surname often share a nationality and common first names), so EM estimates u there too, and the
        # u of random pairs is put back for scoring.
        sampled_u = _u_probabilities(linker)
        for rule in design.em:
            session = linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*rule), estimate_without_term_frequencies=True, fix_u_probabilities=False
            )
            iterations.append(len(getattr(session, "_core_model_settings_history", [None, None])) - 1)
        _set_u_probabilities(linker, sampled_u)
        unestimated = _fill_unestimated_levels(linker, n_u_pairs=min(u_max_pairs, _n_pairs(checked.sizes)))
        predictions = linker.inference.predict(
            threshold_match_probability=_COLLECT_PROBABILITY, warning_mode="never"
        )
        frame = predictions.as_pandas_dataframe()
        model = linker.misc.save_model_to_json()
    except (SplinkException, ValueError, ZeroDivisionError) as error:
        # Splink's own failures while training (no pairs for a rule, probabilities that underflow
        # on a handful of records) mean the data cannot identify the model.
        raise EstimabilityError(
            "the linkage model cannot be estimated from these records (too few records, or too few pairs "
            f"agree on a training rule): {str(error).splitlines()[0]}"
        ) from error
    pairs = frame.loc[:, ["record_id_l", "record_id_r", "match_weight"]].copy()
    return _Scored(
        pairs=pairs,
        prior=start,
        comparisons=_parameters(model),
        em_iterations=iterations,
        n_candidates=len(pairs),
        unestimated=unestimated,
    )


def _warn_about_the_fit(scored: _Scored, design: _Design, max_iterations: int, em_tolerance: float) -> None:
    for rule, count in zip(design.em, scored.em_iterations, strict=True):
        if count >= max_iterations:
            warn(
                f"the EM run on pairs that agree on {list(rule)} stopped after {max_iterations} iterations "
                f"without converging to {em_tolerance}; raise max_iterations.",
                ConvergenceWarning,
            )
    for comparison, level, which in scored.unestimated:
        taken = "its u probability, so the level counts as no evidence" if which == "m" else (
            "half a pair among the pairs sampled for u"
        )
        warn(
            f"no training pair showed level {level!r} of {comparison}, so its {which} probability could not be "
            f"estimated; it is taken as {taken}. More records would estimate it.",
            EstimabilityWarning,
        )


def _u_probabilities(linker: Any) -> dict[tuple[int, int], Any]:
    return {
        (i, j): level._u_probability
        for i, comparison in enumerate(linker._settings_obj.comparisons)
        for j, level in enumerate(comparison._comparison_levels_excluding_null)
    }


def _set_u_probabilities(linker: Any, values: Mapping[tuple[int, int], Any]) -> None:
    for i, comparison in enumerate(linker._settings_obj.comparisons):
        for j, level in enumerate(comparison._comparison_levels_excluding_null):
            level.u_probability = values[(i, j)]


def _n_pairs(sizes: Sequence[int]) -> float:
    """The number of pairs of records on different lists."""
    return float(sum(a * b for i, a in enumerate(sizes) for b in sizes[i + 1 :]))


def _fill_unestimated_levels(linker: Any, n_u_pairs: float) -> list[tuple[str, str, str]]:
    """Give levels that training never saw a value that claims no evidence, instead of Splink's 1e-6.

    Splink scores an unseen level with probability 1e-6, which makes an unseen
    m (day and month swapped, say, in a small data set) condemn a true match,
    and an unseen u acquit any pair at that level. Here an unseen m takes the
    level's u (a Bayes factor of 1: the data said nothing about the level)
    and an unseen u half a pair among the pairs sampled for u.
    """
    from splink.internals.constants import LEVEL_NOT_OBSERVED_TEXT

    filled: list[tuple[str, str, str]] = []
    for comparison in linker._settings_obj.comparisons:
        for level in comparison._comparison_levels_excluding_null:
            name = (str(comparison.output_column_name), str(level.label_for_charts))
            if level._u_probability in (LEVEL_NOT_OBSERVED_TEXT, None):
                level.u_probability = min(0.5, 0.5 / max(n_u_pairs, 1.0))
                filled.append((*name, "u"))
            if level._m_probability in (LEVEL_NOT_OBSERVED_TEXT, None):
                level.m_probability = level.u_probability
                filled.append((*name, "m"))
    return filled


def _parameters(model: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for comparison in model["comparisons"]:
        levels = []
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            levels.append(
                {
                    "level": level.get("label_for_charts"),
                    "m_probability": float(m) if isinstance(m, int | float) else None,
                    "u_probability": float(u) if isinstance(u, int | float) else None,
                }
            )
        out[comparison["output_column_name"]] = levels
    return out


_NOT_OBSERVED = re.compile(r"Level (.+) on comparison (\S+) not observed in dataset, unable to train (m|u) value")


def _reissue(messages: Sequence[str]) -> None:
    """Splink's warnings as the library's own, said once each."""
    seen: set[str] = set()
    for message in messages:
        text = message.replace("WARNING:", "").strip()
        if not text or text in seen:
            continue
        seen.add(text)
        if _NOT_OBSERVED.search(text):
            # Said per EM run; what matters is whether any run estimated the level, which
            # _warn_about_the_fit says from the final parameters.
            continue
        warn(f"linkage: {text.splitlines()[0]}", DataWarning)


# --- the prior and the result ------------------------------------------------------------------


def _with_prior_at_fixed_point(
    pairs: pd.DataFrame, sizes: Sequence[int], start: float
) -> tuple[pd.DataFrame, float]:
    """Match probabilities at the prior that equals the expected share of matches among all pairs.

    With the m and u probabilities fixed, the EM update of the prior is
    ``lambda <- sum(p_i(lambda)) / N`` over all ``N`` pairs of records on
    different lists; pairs that are not candidates contribute (almost)
    nothing, so the sum runs over the candidates. Each pair's Bayes factor
    is its match weight less the prior's log2 odds.
    """
    total = _n_pairs(sizes)
    floor = 0.5 / total
    log_factor = pairs["match_weight"].to_numpy(dtype=float) * math.log(2.0) - _logit(start)
    prior = start
    for _ in range(1000):
        probability = _expit(log_factor + _logit(prior))
        updated = min(max(float(probability.sum()) / total, floor), 0.5)
        if abs(updated - prior) <= 1e-12 * max(prior, floor):
            prior = updated
            break
        prior = updated
    out = pairs.loc[:, ["record_id_l", "record_id_r"]].copy()
    out["match_probability"] = _expit(log_factor + _logit(prior))
    return out, prior


def _logit(p: float) -> float:
    return math.log(p) - math.log1p(-p)


def _expit(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def _oriented(pairs: pd.DataFrame, checked: _Input) -> pd.DataFrame:
    """Pairs with the record of the earlier list on the left, in a fixed order whatever the engine."""
    rank = {name: position for position, name in enumerate(checked.lists)}
    list_of = dict(zip(checked.records["record_id"], checked.records["list"].map(rank), strict=True))
    left, right = pairs["record_id_l"].astype(str), pairs["record_id_r"].astype(str)
    swap = left.map(list_of).to_numpy() > right.map(list_of).to_numpy()
    out = pd.DataFrame(
        {
            "record_id_l": np.where(swap, right, left),
            "record_id_r": np.where(swap, left, right),
            "match_probability": pairs["match_probability"].to_numpy(dtype=float),
        }
    )
    return out.sort_values(["record_id_l", "record_id_r"], kind="stable").reset_index(drop=True)
