"""Fixtures of the compile tests (helpers live in compile_helpers.py)."""
import pytest
from compile_helpers import BACKENDS


@pytest.fixture(params=BACKENDS)
def backend_name(request):
    return request.param
