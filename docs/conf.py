"""Sphinx configuration for the mse documentation."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.abspath("../src"))
sys.path.insert(0, os.path.abspath("_ext"))

import mse  # noqa: E402

project = "mse"
author = "The mse developers"
copyright = "2026, the mse developers"
release = mse.__version__
version = mse.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "matplotlib.sphinxext.plot_directive",
    "run_code",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_ext"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Examples in the user guide are executed when the documentation is built.
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 90)]
plot_rcparams = {"figure.figsize": (7, 4)}

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
}
# The build runs without network access: cross-references to other projects are not resolved.
intersphinx_disabled_reftypes = ["*"]
intersphinx_mapping = {}

html_theme = "pydata_sphinx_theme"
html_title = f"mse {release}"
html_theme_options = {"show_toc_level": 2}
suppress_warnings = ["myst.header"]
