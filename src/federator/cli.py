"""The `federator` command: `federator serve` runs the gateway (more subcommands to come: F16)."""

from __future__ import annotations

import argparse
import os
import sys

from federator import __version__
from federator.errors import ConfigError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="federator", description="Federated union-catalog search")
    parser.add_argument("--version", action="version", version=f"federator {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the gateway (JSON API, demo partners, SRU)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--config", help="configuration YAML (default: config/federator.yaml, the demo)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])

    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    return 2


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from federator.config import load_settings

    from federator.api.ops import logging_config

    try:
        settings = load_settings(args.config)  # fail fast with a readable message
    except ConfigError as exc:
        print(f"federator: {exc}", file=sys.stderr)
        return 2
    if args.config:
        os.environ["FEDERATOR_CONFIG"] = os.path.abspath(args.config)
    # The gateway's own base URL, for '{gateway}' partner endpoints (the bundled demo catalogs).
    local_host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    os.environ.setdefault("FEDERATOR_GATEWAY_URL", f"http://{local_host}:{args.port}")
    # JSON log lines with the request id (or text: ops.log_format), in every worker process
    uvicorn.run("federator.api.app:create_app", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level=args.log_level, access_log=False,
                log_config=logging_config(args.log_level, settings.ops.log_format))
    return 0


if __name__ == "__main__":
    sys.exit(main())
