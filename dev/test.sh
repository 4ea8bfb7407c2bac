#!/usr/bin/env bash
# Set up (venv, test dependencies, bubblewrap, shellcheck) and run the whole test suite.
# Usage: bash dev/test.sh [pytest arguments...]
EXTRAS=test
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "tests: running pytest"
# --dist loadgroup with tests/conftest.py's groups: a test file's tests share one worker
# (and so do the catalogue and diagnosis tests), so an expensive module or session
# fixture (the hostile batches, the catalogue batch, the shards) is built once.
python -m pytest -n 2 --dist loadgroup --durations=15 "$@"
