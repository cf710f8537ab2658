"""Start everything the demo needs on loopback, and stop it again."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from bot.app import Containbot, create_app
from bot.catalog.model import Catalog
from bot.clock import Clock, utc_now
from bot.connectors.aws import AwsConnector
from bot.connectors.kubernetes import KubernetesConnector
from bot.connectors.registry import Connectors
from bot.demo.workspace import Workspace, workspace_for
from bot.devtools.aws_seed import seed_aws
from bot.devtools.k8s_seed import (
    api_client,
    kubernetes_state,
    seed_kubernetes,
    write_kubeconfig,
)
from bot.devtools.slack_driver import SlackDriver
from bot.devtools.slack_emulator import SlackEmulator
from bot.devtools.standins.kubernetes_api import KubernetesStandin
from bot.server import RunningServer, start_server
from bot.settings import INTAKE_SOURCES, Settings


@dataclass
class Stack:
    """A running bot wired to an emulated Slack and moto's AWS."""

    catalog: Catalog
    workspace: Workspace
    emulator: SlackEmulator
    moto: ThreadedMotoServer
    moto_url: str
    app: Containbot
    server: RunningServer
    driver: SlackDriver
    settings: Settings
    intake_secret: str
    kubernetes: KubernetesStandin
    workdir: Path
    _closed: bool = field(default=False, repr=False)

    def post_alert(
        self, source: str, body: bytes, *, token: str | None = None
    ) -> httpx.Response:
        """Deliver an alert to the bot's intake route, as a detector would."""
        headers = {"Authorization": f"Bearer {token or self.intake_secret}"}
        headers["Content-Type"] = "application/json"
        return httpx.post(
            f"{self.server.url}/alerts/{source}",
            content=body,
            headers=headers,
            timeout=30,
        )

    def settle(self) -> None:
        """Wait until the bot has finished the work its last requests started."""
        self.app.ctx.background.drain()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.driver.close()
        self.server.stop()
        self.app.close()
        self.emulator.stop()
        self.moto.stop()
        self.kubernetes.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def kubernetes_state(self) -> dict[str, Any]:
        """Read back the Kubernetes objects containment changes."""
        api = api_client(self.kubernetes.url, self.kubernetes.token)
        try:
            return kubernetes_state(self.catalog, api)
        finally:
            api.close()


def start_stack(
    catalog: Catalog,
    *,
    database_url: str,
    clock: Clock = utc_now,
    rate_limits: bool = True,
    evidence_paths: tuple[str, ...] = (),
) -> Stack:
    """Start the Slack emulator, moto, and the bot serving HTTP, all on 127.0.0.1."""
    workspace = workspace_for(catalog)
    bot_token = "xoxb-demo-" + secrets.token_hex(8)
    signing_secret = secrets.token_hex(16)
    intake_secret = secrets.token_urlsafe(24)

    emulator = SlackEmulator(
        bot_token=bot_token,
        users=workspace.users,
        usergroups=workspace.usergroups,
        rate_limits=rate_limits,
    ).start()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    # moto keeps its accounts in process-wide memory, shared by every server in
    # the process: start each stack from an empty AWS.
    httpx.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    seed_aws(catalog, endpoint_url=moto_url)
    kubernetes = KubernetesStandin(token=secrets.token_hex(12))
    kubernetes.start()
    seed_kubernetes(catalog, kubernetes)
    workdir = Path(tempfile.mkdtemp(prefix="containbot-stack-"))
    kubeconfig = write_kubeconfig(
        workdir / "kubeconfig", kubernetes.url, kubernetes.token
    )

    settings = Settings(
        slack_bot_token=SecretStr(bot_token),
        slack_signing_secret=SecretStr(signing_secret),
        slack_api_url=emulator.api_url,
        database_url=database_url,
        catalog_path=Path("<demo>"),
        intake_secrets={source: SecretStr(intake_secret) for source in INTAKE_SOURCES},
        security_oncall=workspace.security_oncall,
        aws_endpoint_url=moto_url,
        evidence_paths=evidence_paths,
        evidence_secret=SecretStr(intake_secret),
        kube_config=kubeconfig,
    )
    # Dummy credentials scoped to moto's endpoint: the demo can never reach AWS.
    session = boto3.Session(
        aws_access_key_id="demo", aws_secret_access_key="demo", region_name="us-east-1"
    )
    connectors = Connectors(
        {
            "aws": AwsConnector(session, endpoint_url=moto_url),
            "kubernetes": KubernetesConnector(kubeconfig=kubeconfig),
        }
    )
    app = create_app(settings, catalog, clock=clock, connectors=connectors)
    server = start_server(app.web)
    driver = SlackDriver(f"{server.url}/slack/events", signing_secret, emulator)
    return Stack(
        catalog=catalog,
        workspace=workspace,
        emulator=emulator,
        moto=moto,
        moto_url=moto_url,
        app=app,
        server=server,
        driver=driver,
        settings=settings,
        intake_secret=intake_secret,
        kubernetes=kubernetes,
        workdir=workdir,
    )
