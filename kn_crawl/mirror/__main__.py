"""``python -m kn_crawl.mirror --port 8021 [--size N]``: serve the mirror until Ctrl-C."""

from __future__ import annotations

import argparse

from kn_crawl.mirror.generate import MIN_SIZE
from kn_crawl.mirror.server import mirror_ports, serve

MAX_SIZE = 1_000_000
MAX_PORT = 65535 - (len(mirror_ports(0)) - 1)
"""Site i listens on port+i: each of them must still be a port."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kn_crawl.mirror", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="first port; site i gets port+i")
    parser.add_argument("--size", type=int, default=None, help="K21 article records")
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args(argv)
    # parser.error: one usage line and exit 2, instead of the generator's traceback.
    if args.size is not None and not MIN_SIZE <= args.size <= MAX_SIZE:
        parser.error(f"--size {args.size}: must be from {MIN_SIZE} to {MAX_SIZE}")
    if not 0 <= args.port <= MAX_PORT:
        parser.error(f"--port {args.port}: must be from 0 to {MAX_PORT} (one port per site)")
    try:
        serve(args.size, args.host, args.port, seed=args.seed)
    except OSError as exc:
        parser.exit(1, f"{parser.prog}: error: cannot listen on {args.host}:{args.port}: {exc}\n")


if __name__ == "__main__":
    main()
