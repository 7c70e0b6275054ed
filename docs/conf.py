"""Sphinx configuration for the mse documentation."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.abspath("../src"))

import mse

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
    "myst_nb",
]

# myst_nb registers ".md" itself: pages with a ``file_format: mystnb`` front matter are text
# notebooks whose code cells run in one kernel per page; the others are plain MyST markdown.
exclude_patterns = ["_build", "jupyter_execute"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# Every example is executed when the documentation is built, and an error fails the build.
# The outputs are cached by jupyter-cache under _build, so a rebuild re-runs only the pages
# whose code changed.
nb_execution_mode = "cache"
nb_execution_cache_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_build", ".jupyter_cache")
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 600
# Pages that write example files do so in a temporary directory, not in the source tree.
nb_execution_in_temp = True
nb_merge_streams = True
# Bars are for people watching a run; a built page shows the result. The kernels inherit this,
# and find the command line (`mse`) of the environment that builds the documentation.
os.environ["MSE_PROGRESS"] = "0"
# One BLAS thread per kernel: the command lines run from a page (`!mse report ...`) inherit the
# kernel's matplotlib backend, which brings IPython's threads into the process; next to them
# OpenBLAS's spinning worker threads made the disclosure audit of `mse report` take 75 s
# instead of 5 s on two cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])

autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
}
# The build runs without network access: cross-references to other projects are not resolved.
intersphinx_disabled_reftypes = ["*"]
intersphinx_mapping = {}

html_theme = "pydata_sphinx_theme"
html_title = f"mse {release}"
html_theme_options = {"show_toc_level": 2}
# Wide tables, outputs and code lines scroll sideways instead of being cut at the right edge.
html_static_path = ["_static"]
html_css_files = ["wide-content.css"]
# IPython's lexer does not know the line continuations of a shell command run with `!` (the WODC
# page); Pygments then highlights those cells in its relaxed mode, which is all they need.
suppress_warnings = ["myst.header", "misc.highlighting_failure"]
