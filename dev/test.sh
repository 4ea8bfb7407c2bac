#!/usr/bin/env bash
# Set up (venv, test dependencies, bubblewrap, shellcheck) and run the whole test suite.
# Usage: bash dev/test.sh [pytest arguments...]
EXTRAS=test
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "tests: running pytest"
python -m pytest -n 2 --durations=15 "$@"
