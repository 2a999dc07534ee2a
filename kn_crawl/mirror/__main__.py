"""``python -m kn_crawl.mirror --port 8021 [--size N]``: serve the mirror until Ctrl-C."""

from __future__ import annotations

import argparse

from kn_crawl.mirror.server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kn_crawl.mirror", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="first port; site i gets port+i")
    parser.add_argument("--size", type=int, default=None, help="article records, all sites")
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args(argv)
    serve(args.size, args.host, args.port, seed=args.seed)


if __name__ == "__main__":
    main()
