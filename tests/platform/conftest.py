"""Fixtures of the platform suite (the VM platform of the root's worker:
guest image, ACPI tables, devices, loaders): the hvsim binary, skipped with
the reason when it is not built (HVSIM_REQUIRE_BIN=1 makes that a failure).
"""

import os

import pytest

from hvsim_driver import HvsimNotFound, find_hvsim


@pytest.fixture(scope="session")
def hvsim_bin():
    try:
        return find_hvsim()
    except HvsimNotFound as e:
        if os.environ.get("HVSIM_REQUIRE_BIN"):
            pytest.fail(f"{e} (HVSIM_REQUIRE_BIN is set)")
        pytest.skip(f"{e}; set HVSIM_REQUIRE_BIN=1 to make this a failure")
