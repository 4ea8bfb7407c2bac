#!/usr/bin/env bash
# Set up (venv, test dependencies, bubblewrap, shellcheck) and run the whole test suite.
# Usage: bash dev/test.sh [pytest arguments...]
EXTRAS=test
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
# One style (pyproject.toml [tool.ruff]): formatted, and lint-clean, before anything runs.
echo "tests: ruff format --check and ruff check"
python -m ruff format --check --quiet . || { echo "tests: run 'ruff format .' (see above)" >&2; exit 1; }
python -m ruff check --quiet . || { echo "tests: fix what 'ruff check .' reports above" >&2; exit 1; }
echo "tests: running pytest"
# --dist loadfile: a test file's tests share one worker, so a module's expensive fixture
# (the hostile batches, the shards) is built once; the catalogue batch, which two files
# use, is shared across workers by tests/conftest.py.
python -m pytest -n 2 --dist loadfile --durations=15 "$@"
