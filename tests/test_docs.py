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
