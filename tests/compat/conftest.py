import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "fixtures")
for p in (FIXTURES, HERE):
    if p not in sys.path:
        sys.path.insert(0, p)

import driver  # noqa: E402


def pytest_report_header(config):
    capsa = driver.CAPSA if driver.capsa_available() else \
        "%s (missing: capsa side skipped)" % driver.CAPSA
    return ["compat: runc=%s capsa=%s" % (driver.RUNC, capsa)]


@pytest.fixture(scope="session", autouse=True)
def _need_root():
    if os.geteuid() != 0:
        pytest.skip("compat suite runs containers: needs root")
