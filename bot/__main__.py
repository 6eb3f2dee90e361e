"""`python -m bot` is the same as the `commit-radar` console script."""

from bot.entrypoints.cli import main

raise SystemExit(main())
