"""`python -m cardkit …` runs the `cardkit` command (the CLI front-end, cardkit_cli).

This entry point is the one module of the package allowed to reach the CLI layer (like the
console script); the library itself never imports it (tests/core/test_layering.py).
"""

from cardkit_cli.main import main

if __name__ == "__main__":
    main()
