"""``python -m ketaclinic.cli`` and the console script."""

from __future__ import annotations

import sys

from ketaclinic.cli.app import main

__all__ = ["run"]


def run() -> None:
    sys.exit(main(sys.argv[1:]))


if __name__ == "__main__":  # pragma: no cover
    run()
