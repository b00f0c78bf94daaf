"""Every script in examples/ runs, shrunk by SKMNIST_EXAMPLE_SMALL=1, so none rots."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: script -> (text its output must contain, files it must write)
EXPECTED = {
    "analysis.py": ("Confusion matrix saved to", ["analysis-model.skmnist", "confusion_matrix.png"]),
    "grid_search.py": ("mean CV accuracy", ["grid_heatmap.png"]),
    "confusion_matrix.py": ("Wrote confusion_matrix.png", ["confusion_matrix.png"]),
    "reproduce_tutorials.py": ("| tutorial model | published | measured |", []),
}


def test_every_example_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_runs_on_a_small_subset(script, mnist, tmp_path):
    env = dict(os.environ, SKMNIST_EXAMPLE_SMALL="1", MPLBACKEND="Agg")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    text, files = EXPECTED[script]
    assert text in result.stdout
    for name in files:
        assert (tmp_path / name).stat().st_size > 0
