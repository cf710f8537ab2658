"""A stand-in for the `spire-server entry` CLI, for tests and the demo.

SPIRE Server has no HTTP API; its CLI talks gRPC over a Unix socket. This script
takes the same arguments as `spire-server entry show | delete | create` (SPIRE
1.6+, `-socketPath`, `-output json`) and prints what the real CLI prints in JSON
mode: protojson with proto field names (`entries`, `spiffe_id: {trust_domain,
path}`, `results: [{status: {code, message}, ...}]`). Instead of a socket,
`-socketPath` names a JSON file holding the entries; when it does not exist the
script fails as the CLI does when the socket is missing.

`install(folder, state)` writes an executable `spire-server` that runs this script.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

_CODES = {"OK": 0, "NOT_FOUND": 5}


def install(folder: Path, state: Path, entries: list[dict[str, Any]]) -> Path:
    """Write the entries to `state` and a `spire-server` wrapper into `folder`."""
    state.write_text(json.dumps({"entries": entries}))
    script = folder / "spire-server"
    script.write_text(
        # Run by path so that no package import slows each call down.
        f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" "$@"\n'
    )
    script.chmod(0o755)
    return script


def entry(spiffe_id: str, parent_id: str, *selectors: str) -> dict[str, Any]:
    """Build an entry as `entry show -output json` prints it."""
    return {
        "id": str(uuid.uuid4()),
        "spiffe_id": _split(spiffe_id),
        "parent_id": _split(parent_id),
        "selectors": [
            {"type": s.split(":", 1)[0], "value": s.split(":", 1)[1]} for s in selectors
        ],
        "x509_svid_ttl": 3600,
        "jwt_svid_ttl": 300,
        "federates_with": [],
        "admin": False,
        "downstream": False,
        "expires_at": "0",
        "dns_names": [],
        "revision_number": "0",
        "store_svid": False,
        "hint": "",
        "created_at": "1764000000",
    }


def _split(spiffe_id: str) -> dict[str, str]:
    rest = spiffe_id.removeprefix("spiffe://")
    domain, _, path = rest.partition("/")
    return {"trust_domain": domain, "path": f"/{path}"}


def _text(spiffe_id: dict[str, str]) -> str:
    return f"spiffe://{spiffe_id['trust_domain']}{spiffe_id['path']}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="spire-server", allow_abbrev=False)
    parser.add_argument("noun", choices=["entry"])
    parser.add_argument("verb", choices=["show", "delete", "create"])
    for flag in ("-socketPath", "-spiffeID", "-parentID", "-entryID", "-output"):
        parser.add_argument(flag)
    for flag in ("-x509SVIDTTL", "-jwtSVIDTTL", "-hint"):
        parser.add_argument(flag)
    for flag in ("-selector", "-dns", "-federatesWith"):
        parser.add_argument(flag, action="append", default=[])
    parser.add_argument("-admin", action="store_true")
    parser.add_argument("-downstream", action="store_true")
    args = parser.parse_args(argv)

    socket = Path(args.socketPath or "/tmp/spire-server/private/api.sock")
    if not socket.is_file():
        sys.stderr.write(
            'Error: connection error: desc = "transport: Error while dialing: dial '
            f'unix {socket}: connect: no such file or directory"\n'
        )
        return 1
    state = json.loads(socket.read_text())
    entries: list[dict[str, Any]] = state["entries"]

    if args.verb == "show":
        shown = [
            e
            for e in entries
            if not args.spiffeID or _text(e["spiffe_id"]) == args.spiffeID
        ]
        result: dict[str, Any] = {"entries": shown, "next_page_token": ""}
    elif args.verb == "delete":
        if not args.entryID:
            sys.stderr.write("Error: an entry ID is required\n")
            return 1
        found = [e for e in entries if e["id"] == args.entryID]
        state["entries"] = [e for e in entries if e["id"] != args.entryID]
        code = "OK" if found else "NOT_FOUND"
        message = "OK" if found else "entry not found"
        status = {"code": _CODES[code], "message": message}
        result = {"results": [{"status": status, "id": args.entryID}]}
    else:
        if not args.selector or not args.spiffeID or not args.parentID:
            sys.stderr.write("Error: at least one selector is required\n")
            return 1
        created = entry(args.spiffeID, args.parentID, *args.selector)
        created.update(
            x509_svid_ttl=int(args.x509SVIDTTL or 0),
            jwt_svid_ttl=int(args.jwtSVIDTTL or 0),
            hint=args.hint or "",
            dns_names=args.dns,
            federates_with=args.federatesWith,
            admin=args.admin,
            downstream=args.downstream,
        )
        state["entries"].append(created)
        status = {"code": 0, "message": "OK"}
        result = {"results": [{"status": status, "entry": created}]}

    tmp = socket.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state))
    tmp.replace(socket)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
