"""``python -m curate.loader``: see :func:`curate.loader.cli.main`."""

from curate.loader.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
