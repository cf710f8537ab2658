"""The whole bot on loopback, as in the end-to-end tests."""

from __future__ import annotations

from tests.e2e.conftest import make_stack  # noqa: F401  (the fixture)
