"""Sphinx configuration of the skmnist documentation (Sphinx + numpydoc + MyST)."""

import logging
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE / "_ext"))

import skmnist  # noqa: E402

project = "skmnist"
author = "the skmnist developers"
copyright = f"2026, {author}"
release = version = skmnist.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "skmnist_cli",  # docs/_ext/skmnist_cli.py: the CLI reference, from the parser
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
templates_path = ["_templates"]  # autosummary pages titled with short names
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
myst_heading_anchors = 3
suppress_warnings = ["myst.xref_missing"]
html_theme = "furo"  # maintained; its sidebar wraps long names instead of cutting them
html_title = f"skmnist {release}"
html_static_path = ["_static"]


class _WithoutMystConfig(logging.Filter):
    """Drop the one message in which MyST logs its whole configuration.

    myst-parser logs ``myst vX: MdParserConfig(...)``, several kilobytes on one
    line, at INFO level as the builder starts; every other message is kept.
    """

    def filter(self, record):
        return "MdParserConfig(" not in record.getMessage()


def setup(app):
    logging.getLogger("sphinx.myst_parser.sphinx_ext.main").addFilter(_WithoutMystConfig())
