"""Published capture–recapture data sets shipped with :mod:`mse`.

Each entry records what the lists are, where the table comes from and the
publication to cite. The tables are aggregated counts, as published; the
all-zero history is never present.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources

import pandas as pd

from mse.data.capture import CaptureData
from mse.errors import DataError

__all__ = ["REGISTRY", "DatasetInfo", "dataset_info", "list_datasets", "load_dataset", "load_truth"]


@dataclass(frozen=True)
class DatasetInfo:
    """Documentation of one bundled data set."""

    name: str
    description: str
    citation: str
    list_descriptions: dict[str, str]
    covariates: tuple[str, ...] = ()
    notes: str = ""
    extra_citations: tuple[str, ...] = field(default=())

    @property
    def lists(self) -> tuple[str, ...]:
        return tuple(self.list_descriptions)


_SILVERMAN_2014 = (
    "Silverman, B. W. (2014). Modern slavery: an application of multiple systems estimation. London: Home Office."
)
_SILVERMAN_2020 = (
    "Silverman, B. W. (2020). Model fitting in multiple systems analysis for the quantification of modern "
    "slavery: classical and Bayesian approaches. Journal of the Royal Statistical Society A, 183(3), 691-736."
)
_NL = (
    "van Dijk, J., Cruyff, M., van der Heijden, P. G. M. & Kragten-Heerdink, S. (2017). Monitoring Target 16.2 of "
    "the United Nations Sustainable Development Goals: a multiple systems estimation of the numbers of presumed "
    "human trafficking victims in the Netherlands in 2010-2015 by year, age, gender, form of exploitation and "
    "nationality. Research brief, UNODC and the Dutch National Rapporteur on Trafficking in Human Beings."
)
_NL_LISTS = {
    "I": "Inspectorate SZW (labour inspection)",
    "K": "Royal Netherlands Marechaussee (border police, KMar)",
    "O": "residential care institutions and shelters",
    "P": "national and regional police",
    "R": "regional care coordinators",
    "Z": "other organisations",
}
_UK_LISTS = {
    "LA": "local authorities",
    "NG": "non-governmental organisations",
    "PF": "police forces",
    "GO": "government organisations",
    "GP": "general public",
    "NCA": "National Crime Agency",
}
_CHAN_2021 = (
    "Chan, L., Silverman, B. W. & Vincent, K. (2021). Multiple systems estimation for sparse capture data: "
    "inferential challenges when there are nonoverlapping lists. Journal of the American Statistical "
    "Association, 116(535), 1297-1306."
)
_NEW_ORLEANS = (
    "Bales, K., Murphy, L. T. & Silverman, B. W. (2020). How many trafficked people are there in Greater New "
    "Orleans? Lessons in measurement. Journal of Human Trafficking, 6(4), 375-384."
)
_MADIGAN_YORK = (
    "Madigan, D. & York, J. C. (1997). Bayesian methods for estimation of the size of a closed population. "
    "Biometrika, 84(1), 19-31."
)
_CHAO_2001 = (
    "Chao, A., Tsay, P. K., Lin, S.-H., Shau, W.-Y. & Chao, D.-Y. (2001). The applications of capture-recapture "
    "models to epidemiological data. Statistics in Medicine, 20, 3123-3157."
)

REGISTRY: dict[str, DatasetInfo] = {
    info.name: info
    for info in [
        DatasetInfo(
            "uk2013",
            "Potential victims of modern slavery in the UK, 2013 strategic assessment (6 lists).",
            _SILVERMAN_2014,
            _UK_LISTS,
            extra_citations=(_CHAN_2021,),
        ),
        DatasetInfo(
            "uk2013_5",
            "UK 2013 modern slavery data with police forces and the National Crime Agency merged (5 lists).",
            _SILVERMAN_2014,
            {
                "LA": _UK_LISTS["LA"],
                "NG": _UK_LISTS["NG"],
                "PFNCA": "police forces and NCA",
                "GO": _UK_LISTS["GO"],
                "GP": _UK_LISTS["GP"],
            },
            extra_citations=(_CHAN_2021,),
        ),
        DatasetInfo(
            "uk2013_4",
            "UK 2013 modern slavery data, PF and NCA merged and the general public left out (4 lists); "
            "cases seen only by the general public drop out.",
            _SILVERMAN_2014,
            {"LA": _UK_LISTS["LA"], "NG": _UK_LISTS["NG"], "PFNCA": "police forces and NCA", "GO": _UK_LISTS["GO"]},
            extra_citations=(_SILVERMAN_2020,),
        ),
        DatasetInfo(
            "netherlands",
            "Presumed victims of human trafficking registered by CoMensha, the Netherlands 2010-2015 (6 lists): the "
            "data behind the WODC / National Rapporteur estimate.",
            _NL,
            _NL_LISTS,
            extra_citations=(_SILVERMAN_2020,),
        ),
        DatasetInfo(
            "netherlands_5",
            "Netherlands trafficking data with the Inspectorate and shelters merged (5 lists).",
            _NL,
            {
                "IO": "Inspectorate SZW and shelters",
                "K": _NL_LISTS["K"],
                "P": _NL_LISTS["P"],
                "R": _NL_LISTS["R"],
                "Z": _NL_LISTS["Z"],
            },
            extra_citations=(_SILVERMAN_2020,),
        ),
        DatasetInfo(
            "new_orleans",
            "Victims of human trafficking in Greater New Orleans (8 anonymised lists).",
            _NEW_ORLEANS,
            {c: f"list {c} (anonymised)" for c in "ABCDEFGH"},
            extra_citations=(_CHAN_2021,),
        ),
        DatasetInfo(
            "new_orleans_5",
            "Greater New Orleans trafficking data with lists B, E, F and G merged (5 lists).",
            _NEW_ORLEANS,
            {"A": "list A", "BEFG": "lists B, E, F, G merged", "C": "list C", "D": "list D", "H": "list H"},
        ),
        DatasetInfo(
            "western_us",
            "Victims of sex trafficking at a site in the western United States (5 anonymised lists).",
            "Farrell, A., Dank, M., Kafafian, M., Lockwood, S., Pfeffer, R., Hughes, A. & Vincent, K. (2019). "
            "Capturing human trafficking victimization through crime reporting. Final report, National Institute of "
            "Justice grant 2015-VF-GX-0105.",
            {c: f"list {c} (anonymised)" for c in "ABCDE"},
            extra_citations=(_CHAN_2021,),
        ),
        DatasetInfo(
            "kosovo",
            "Killings in Kosovo, 20 March - 22 June 1999 (4 lists).",
            "Ball, P., Betts, W., Scheuren, F., Dudukovich, J. & Asher, J. (2002). Killings and refugee flow in "
            "Kosovo, March-June 1999. Report to the International Criminal Tribunal for the former Yugoslavia. "
            "Washington, DC: American Association for the Advancement of Science.",
            {
                "EXH": "exhumations",
                "ABA": "American Bar Association",
                "OSCE": "Organization for Security and Co-operation in Europe",
                "HRW": "Human Rights Watch",
            },
        ),
        DatasetInfo(
            "korea",
            "Korean women held in sexual slavery at Palembang (3 lists).",
            "Ball, P., Shin, H. & Yang, S. (2018). Multiple systems estimation of the comfort women held at "
            "Palembang. Human Rights Data Analysis Group technical report.",
            {"b": "list b", "c": "list c", "d": "list d"},
        ),
        DatasetInfo(
            "australia",
            "Victims of human trafficking and slavery in Australia, 2015-17 (4 lists).",
            "Lyneham, S., Dowling, C. & Bricknell, S. (2019). Estimating the dark figure of human trafficking and "
            "slavery victimisation in Australia. Statistical Bulletin 16, Australian Institute of Criminology.",
            {c: f"list {c}" for c in "ABCD"},
        ),
        DatasetInfo(
            "artificial_3",
            "Artificial 3-list table in which list C overlaps neither A nor B: some models have no finite MLE or are "
            "not identifiable.",
            _CHAN_2021 + " Table 2.",
            {"A": "list A", "B": "list B", "C": "list C"},
        ),
        DatasetInfo(
            "spina_bifida",
            "Spina bifida in upstate New York, 1969-74 (3 lists).",
            "Hook, E. B., Albright, S. G. & Cross, P. K. (1980). Use of Bernoulli census and log-linear methods for "
            "estimating the prevalence of spina bifida in livebirths and the completeness of vital record reports in "
            "New York State. American Journal of Epidemiology, 112(6), 750-758.",
            {"B": "birth certificates", "D": "death certificates", "M": "medical rehabilitation records"},
            extra_citations=(_MADIGAN_YORK,),
        ),
        DatasetInfo(
            "spina_bifida_ethnicity",
            "Spina bifida in upstate New York, stratified by ethnicity (3 lists, covariate eth).",
            _MADIGAN_YORK,
            {"S1": "birth certificates", "S2": "death certificates", "S3": "medical rehabilitation records"},
            covariates=("eth",),
            extra_citations=(
                "Overstall, A. M. & King, R. (2014). conting: an R package for Bayesian analysis of complete and "
                "incomplete contingency tables. Journal of Statistical Software, 58(7), 1-27.",
            ),
        ),
        DatasetInfo(
            "hepatitis_a",
            "Hepatitis A outbreak at a college in Taiwan, 1995 (3 lists).",
            _CHAO_2001,
            {"P": "serum test", "Q": "hospital and quarantine records", "E": "epidemiologists' records"},
        ),
        DatasetInfo(
            "diabetes",
            "Diabetes in Casale Monferrato, Italy (4 lists).",
            "Bruno, G., LaPorte, R. E., Merletti, F., Biggeri, A., McCarty, D. & Pagano, G. (1994). National "
            "diabetes programmes: application of capture-recapture to 'count' diabetes? Diabetes Care, 17(6), "
            "548-556.",
            {
                "A": "clinics and general practitioners",
                "B": "hospital discharges",
                "C": "prescriptions",
                "D": "purchases of reagent strips and syringes",
            },
            extra_citations=(_CHAO_2001,),
        ),
        DatasetInfo(
            "congenital_anomaly",
            "Congenital anomaly in Massachusetts (5 lists).",
            "Wittes, J. T., Colton, T. & Sidel, V. W. (1974). Capture-recapture methods for assessing the "
            "completeness of case ascertainment when using multiple information sources. Journal of Chronic "
            "Diseases, 27, 25-36.",
            {
                "A": "obstetric records",
                "B": "other hospital records",
                "C": "Department of Public Health records",
                "D": "Department of Mental Health records",
                "E": "special school records",
            },
            extra_citations=(_MADIGAN_YORK,),
        ),
        DatasetInfo(
            "hiv_rome",
            "HIV-1 cases in Rome (4 reporting centres).",
            "Abeni, D. D., Brancato, G. & Perucci, C. A. (1994). Capture-recapture to estimate the size of the "
            "population with human immunodeficiency virus type 1 infection. Epidemiology, 5(4), 410-414.",
            {f"c{i}": f"reporting centre {i}" for i in range(1, 5)},
        ),
        DatasetInfo(
            "lesbian_allegheny",
            "Lesbian population of Allegheny County, Pennsylvania (4 mailing lists).",
            "Aaron, D. J., Chang, Y.-F., Markovic, N. & LaPorte, R. E. (2003). Estimating the lesbian population: a "
            "capture-recapture approach. Journal of Epidemiology and Community Health, 57, 207-209.",
            {c: f"mailing list {c}" for c in "ABCD"},
        ),
        DatasetInfo(
            "snowshoe_hare",
            "Snowshoe hares trapped on six occasions (a closed-population trapping study).",
            "Otis, D. L., Burnham, K. P., White, G. C. & Anderson, D. R. (1978). Statistical inference from capture "
            "data on closed animal populations. Wildlife Monographs, 62, 3-135.",
            {f"c{i}": f"capture occasion {i}" for i in range(1, 7)},
            extra_citations=(
                "Cormack, R. M. (1989). Log-linear models for capture-recapture. Biometrics, 45, 395-413.",
            ),
        ),
        DatasetInfo(
            "scottish_pwid",
            "People who inject drugs in Scotland, 2006 (4 lists; covariates Region, Gender, Age).",
            "King, R., Bird, S. M., Overstall, A. M., Hay, G. & Hutchinson, S. J. (2013). Injecting drug users in "
            "Scotland, 2006: listing, number, demography, and opiate-related death-rates. Addiction Research & "
            "Theory, 21(3), 235-246.",
            {
                "S1": "social enquiry reports",
                "S2": "hospital records",
                "S3": "Scottish drug misuse database",
                "S4": "hepatitis C virus diagnoses",
            },
            covariates=("Region", "Gender", "Age"),
            notes="List S4 is partly censored: it also holds people outside the target population.",
            extra_citations=(
                "Overstall, A. M., King, R., Bird, S. M., Hutchinson, S. J. & Hay, G. (2014). Incomplete contingency "
                "tables with censored cells with application to estimating the number of people who inject drugs in "
                "Scotland. Statistics in Medicine, 33(9), 1564-1579.",
            ),
        ),
        DatasetInfo(
            "netherlands_synthetic",
            "Synthetic Dutch-style presumed trafficking victims, 2010-2015 (6 lists; covariates year, sex, age, "
            "nationality, form; some values missing); generated with known truth (mse.load_truth).",
            "mse: synthetic data made by mse.data.synthetic.netherlands_synthetic() (seed 20171128) from a "
            "log-linear model on lists x covariates; the numbers are invented.",
            {
                "I": "labour inspectorate (synthetic)",
                "K": "border police (synthetic)",
                "O": "shelters and care institutions (synthetic)",
                "P": "police (synthetic)",
                "R": "regional care coordinators (synthetic)",
                "Z": "other organisations (synthetic)",
            },
            covariates=("year", "sex", "age", "nationality", "form"),
            notes="Missing covariate values are empty in the CSV; nationality is missing more often for people seen "
            "by neither police list (missing at random given the lists).",
            extra_citations=(_NL,),
        ),
    ]
}


def dataset_info(name: str) -> DatasetInfo:
    """The documentation entry of a bundled data set.

    Parameters
    ----------
    name
        The data set's name, as listed by :func:`list_datasets`.

    Returns
    -------
    DatasetInfo
        Its description, citation, lists (with what each one is), covariates
        and notes.

    Raises
    ------
    DataError
        If there is no data set of that name.

    Examples
    --------
    >>> import mse
    >>> mse.dataset_info("kosovo").lists
    ('EXH', 'ABA', 'OSCE', 'HRW')
    """
    try:
        return REGISTRY[name]
    except KeyError:
        raise DataError(
            f"unknown data set {name!r}; mse.list_datasets() shows the {len(REGISTRY)} available."
        ) from None


def load_dataset(name: str) -> CaptureData:
    """Load a bundled data set as :class:`~mse.CaptureData`.

    Parameters
    ----------
    name
        The data set's name, as listed by :func:`list_datasets` (``"uk2013"``,
        ``"netherlands"``, ``"kosovo"``, ...).

    Returns
    -------
    CaptureData
        The table, with the lists and covariates that :func:`dataset_info` names.

    Raises
    ------
    DataError
        If ``name`` is not one of the bundled data sets.

    Examples
    --------
    >>> import mse
    >>> mse.load_dataset("kosovo").n_observed
    4400
    """
    info = dataset_info(name)
    with resources.files(__name__).joinpath(f"{name}.csv").open("r", encoding="utf-8") as handle:
        frame = pd.read_csv(handle)
    return CaptureData.from_counts(frame, lists=list(info.lists), count="count", covariates=list(info.covariates))


def load_truth(name: str) -> pd.DataFrame:
    """The generating truth of a synthetic data set: one row per complete covariate cell.

    Columns: the covariates, ``N`` (the realised population of the cell,
    observed and unobserved), ``N_expected`` (its expectation under the
    generating model) and ``observed`` (people on a list, by their true
    covariate values).

    Parameters
    ----------
    name
        The name of a synthetic data set (``"netherlands_synthetic"``).

    Returns
    -------
    pandas.DataFrame
        One row per covariate cell, with the columns above.

    Raises
    ------
    DataError
        If the data set is not synthetic (it has no truth).

    Examples
    --------
    >>> import mse
    >>> truth = mse.load_truth("netherlands_synthetic")
    >>> int(truth["observed"].sum()) == mse.load_dataset("netherlands_synthetic").n_observed
    True
    """
    import json

    dataset_info(name)
    source = resources.files(__name__).joinpath(f"{name}_truth.json")
    if not source.is_file():
        raise DataError(f"data set {name!r} is not synthetic: its truth is unknown.")
    with source.open("r", encoding="utf-8") as handle:
        payload = json.load(handle)
    return pd.DataFrame(payload["cells"])


def list_datasets() -> pd.DataFrame:
    """The bundled data sets: name, lists, n_observed, description, citation.

    Returns
    -------
    pandas.DataFrame
        One row per data set, with those columns.

    Examples
    --------
    >>> import mse
    >>> "netherlands" in set(mse.list_datasets()["name"])
    True
    """
    rows = []
    for name, info in REGISTRY.items():
        data = load_dataset(name)
        rows.append(
            {
                "name": name,
                "lists": len(info.lists),
                "n_observed": data.n_observed,
                "covariates": ", ".join(info.covariates),
                "description": info.description,
                "citation": info.citation,
            }
        )
    return pd.DataFrame(rows)
