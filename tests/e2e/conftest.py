"""The end-to-end layer's own fixture: a whole stack in subprocesses (tests/e2e/test_faults.py) that other fault and
shutdown tests drive too."""

from tests.e2e.test_faults import stack  # noqa: F401 - the fixture
