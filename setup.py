"""Package layout only (metadata is in pyproject.toml): every `cardkit*` package, and the
command-line front-end from the top-level `cli/` folder installed as `cardkit_cli`."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["cardkit", "cardkit.*"]), "cardkit_cli"],
    package_dir={"cardkit_cli": "cli"},
)
