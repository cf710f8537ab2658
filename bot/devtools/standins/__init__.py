"""Local HTTP stand-ins for the systems containbot's connectors change.

Each one answers the documented endpoints its system's official client calls, with
that system's status codes and error bodies, so tests and the demo drive the real
client code. They hold state in memory and listen on 127.0.0.1 only.
"""

from __future__ import annotations

from bot.devtools.standins.kubernetes_api import KubernetesStandin
from bot.devtools.standins.server import WsgiServer
from bot.devtools.standins.vault_api import VaultStandin
from bot.devtools.standins.webhook_receiver import WebhookReceiver

__all__ = ["KubernetesStandin", "VaultStandin", "WebhookReceiver", "WsgiServer"]
