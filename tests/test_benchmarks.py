"""The benchmark scripts run (``--quick``: tiny data, figures meaningless), so none rots.

Timings are never asserted here: they belong to the benchmarks' own reports.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"


def test_performance_benchmark_quick_run_writes_its_report_and_plot(mnist, tmp_path):
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_performance.py"), "--quick",
         "--output", str(tmp_path)],
        capture_output=True, text=True, timeout=600, env=dict(os.environ, MPLBACKEND="Agg"),
    )
    # The exit status says whether every target was met, which a quick run cannot say.
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = (tmp_path / "performance.md").read_text()
    for heading in ("## Targets", "## The tutorial model", "## Prediction latency",
                    "repeated fit + score cycles", "## Default pipeline and best preset"):
        assert heading in report
    assert "best preset ≥ 98.8%" in report
    assert (tmp_path / "time_to_accuracy.png").stat().st_size > 0


def test_fit_speed_benchmark_quick_run_compares_two_trees(mnist):
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_fit_speed.py"), "--quick",
         "--tree", f"a={ROOT}", "--tree", f"b={ROOT}"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "| tutorial fit |" in result.stdout and "| default fit |" in result.stdout


def test_quality_benchmark_quick_run_writes_every_section(mnist, tmp_path):
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_quality.py"), "--quick", "--output", str(tmp_path)],
        capture_output=True, text=True, timeout=600, env=dict(os.environ, MPLBACKEND="Agg"),
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]  # goals: not from a quick run
    report = (tmp_path / "quality.md").read_text()
    for heading in ("## Goals", "## The tutorial models", "## Every budget",
                    "## Presets, and time to accuracy", "## What augmentation costs"):
        assert heading in report
    assert 'preset="best" ≥ 99.0% (median)' in report
    assert (tmp_path / "quality_time_to_accuracy.png").stat().st_size > 0


def test_cold_start_benchmark_quick_run_writes_its_tables(mnist, tmp_path):
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_cold_start.py"), "--quick", "--output", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = (tmp_path / "cold_start.md").read_text()
    assert "| import skmnist |" in report and "| tutorial model, skmnist |" in report
    assert "| tutorial (32,) |" in report


def test_grid_benchmark_quick_run_times_every_route(mnist, tmp_path):
    pytest.importorskip("distributed")
    output = tmp_path / "grid.md"
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_grid.py"), "--quick", "--output", str(output)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = output.read_text()
    for route in ["serial (n_jobs=1)", "loky, n_jobs=2, cold", "loky, n_jobs=2, warm",
                  "Dask, 2 workers x 1 thread, cold", "Dask, 2 workers x 1 thread, warm"]:
        assert f"| {route} |" in report
    assert "| no |" not in report  # every route gave the serial scores
    assert "What a fit pays besides training" in report
