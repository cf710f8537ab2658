"""One bot replica in its own process, for the two-replica test.

Run as `python -m tests.escalation.replica`; it reads its settings from the
environment, serves HTTP on a free port, writes that URL on its first line of
output, and runs until it is terminated. It acts on no system: the test is about
paging, so it has no connectors.
"""

from __future__ import annotations

from bot.connectors.registry import Connectors
from tests.e2e.bot_process import serve_until_terminated

if __name__ == "__main__":
    serve_until_terminated(Connectors({}))
