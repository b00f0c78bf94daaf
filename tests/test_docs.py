"""Every public name has a numpydoc docstring with an Examples section of doctests."""

import inspect

import pytest

import skmnist
import skmnist.plotting

PUBLIC = [(skmnist, name) for name in skmnist.__all__] + [
    (skmnist.plotting, name) for name in skmnist.plotting.__all__
]


@pytest.mark.parametrize("module, name", PUBLIC, ids=[name for _, name in PUBLIC])
def test_public_name_has_a_docstring_with_runnable_examples(module, name):
    doc = inspect.getdoc(getattr(module, name)) or ""
    assert "Examples\n--------" in doc, f"{name} has no numpydoc Examples section"
    assert ">>> " in doc.split("Examples\n--------")[1], f"{name}'s Examples hold no doctest"
    for section in ("Parameters\n----------", "Returns\n-------"):
        if inspect.isfunction(getattr(module, name)):
            assert section in doc, f"{name} lacks a {section.splitlines()[0]} section"


def test_api_reference_lists_every_public_name():
    from pathlib import Path

    api = (Path(__file__).resolve().parent.parent / "docs" / "api.rst").read_text()
    listed = {line.strip() for line in api.splitlines() if line.startswith("   ") and ":" not in line}
    assert listed == {name for _, name in PUBLIC}


def test_readme_shows_the_analysis_script_as_it_is_and_says_how_long_it_takes():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text()
    section = readme[readme.index("## In an analysis script"):]
    section = section[:section.index("\n## ", 1)]
    shown = re.search(r"```python\n(.*?)```", section, re.S)[1].splitlines()
    script = (root / "examples" / "analysis.py").read_text().splitlines()
    # the script, in order, less its docstring and the lines about SKMNIST_EXAMPLE_SMALL
    body = script[script.index("import os"):]
    kept = [line for i, line in enumerate(body)  # less `if SMALL:` and its block
            if "SMALL" not in line and not (line.startswith("    ") and "SMALL" in body[i - 1])]
    kept = [line for i, line in enumerate(kept) if line or (i and kept[i - 1])]  # one blank
    assert shown == kept
    assert 'savefig("confusion_matrix.png"' in section and "saved to" in section
    assert re.search(r"about \d+ seconds on 2 CPU cores, [\d.]+ s measured", section)


DOCS = __import__("pathlib").Path(__file__).resolve().parent.parent / "docs"


def test_landing_page_says_what_it_is_with_an_example_and_the_report_picture():
    index = (DOCS / "index.md").read_text()
    assert "scikit-learn estimator" in index and "```python" in index and "```bash" in index
    assert "](_static/report_page.png)" in index and (DOCS / "_static" / "report_page.png").is_file()
    toctree = index[index.index("```{toctree}"):]
    pages = {p.stem for p in DOCS.glob("*.md")} | {"api"} - {"index"}
    assert {page for page in pages if page != "index"} <= set(toctree.split())


def test_docs_theme_is_installed_by_the_docs_extra_and_myst_config_line_is_dropped():
    import logging
    import runpy
    import tomllib

    conf = runpy.run_path(str(DOCS / "conf.py"))
    pyproject = tomllib.loads((DOCS.parent / "pyproject.toml").read_text())
    docs_extra = pyproject["project"]["optional-dependencies"]["docs"]
    assert conf["html_theme"] == "furo" and any(d.startswith("furo") for d in docs_extra)
    quiet = conf["_WithoutMystConfig"]()

    def record(msg, *args):
        return logging.LogRecord("sphinx.myst_parser.sphinx_ext.main", logging.INFO, "", 0,
                                 msg, args, None)

    assert not quiet.filter(record("myst v%s: %s", "5.2.0", "MdParserConfig(commonmark_only=False)"))
    assert quiet.filter(record("myst: some other message"))


def test_readme_api_table_names_every_public_name_with_its_signature():
    import inspect
    from pathlib import Path

    import skmnist

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for name in skmnist.__all__:
        if name in ("save", "load"):  # one row for the pair
            assert "| `save(estimator, path)`, `load(path)` |" in readme
            continue
        params = inspect.signature(getattr(skmnist, name)).parameters
        assert f"| `{name}(" in readme, f"README's API table lacks {name}"
        row = readme[readme.index(f"| `{name}("):].split("\n", 1)[0]
        for param in params:
            assert param in row, f"README's row for {name} lacks its parameter {param}"
