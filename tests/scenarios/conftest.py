"""Fixtures of the scenario suite: the hvsim binary, per-test run
directories (pytest's tmp_path, so parallel workers never share a path) and
the --update-golden option.

Without a built hvsim the suite skips with the reason; set
HVSIM_REQUIRE_BIN=1 (CI) to make that a failure instead.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "driver"))

from hvsim_driver import HvsimNotFound, find_hvsim  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="store the digests (and small traces) of this run as the "
                          "goldens in tests/scenarios/golden/ instead of comparing")


def require_binary(preset=None):
    """Path of hvsim (of a preset), or skip/fail the test with the reason."""
    try:
        return find_hvsim(preset)
    except HvsimNotFound as e:
        var = "HVSIM_REQUIRE_BIN" if preset is None else f"HVSIM_REQUIRE_{preset.upper()}"
        if os.environ.get(var) or (preset is None and os.environ.get("HVSIM_REQUIRE_BIN")):
            pytest.fail(f"{e} ({var} is set)")
        pytest.skip(f"{e}; set {var}=1 to make this a failure")


@pytest.fixture(scope="session")
def hvsim_bin():
    return require_binary()


@pytest.fixture(scope="session")
def update_golden(request):
    return request.config.getoption("--update-golden")


@pytest.fixture(scope="session")
def preset_bin():
    """preset_bin("asan") -> path of build/asan/sim/hvsim, or skip/fail."""
    return require_binary


@pytest.fixture
def run_dir(tmp_path):
    """A fresh directory for one run's traces: tmp_path/<n>."""
    counter = iter(range(1_000_000))

    def make(label=None):
        d = tmp_path / (label or f"run{next(counter)}")
        d.mkdir()
        return d
    return make
