# Sourced by dev/grade-examples.sh and dev/test.sh: one set-up for both.
# Creates .venv with the pinned dependencies (EXTRAS=test adds the test ones),
# installs the Debian packages the kit uses when it can (root + apt), and puts
# the venv's bin/ on PATH (nbgrader runs `alembic` from there).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-}"
# Python 3.11, 3.12 and 3.13 are supported (pyproject's requires-python); the
# first one found is used unless PYTHON names one.
supported='import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))'
if [ -z "$PYTHON" ]; then
    for candidate in python3.11 python3.12 python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "$supported" 2>/dev/null; then
            PYTHON="$candidate"; break
        fi
    done
fi
if [ -z "$PYTHON" ] || ! "$PYTHON" -c "$supported" 2>/dev/null; then
    echo "setup: Python 3.11, 3.12 or 3.13 is required${PYTHON:+ ($PYTHON is not one)};" \
         "set PYTHON=/path/to/python3.12, or install one (e.g. pyenv install 3.12)" >&2
    exit 1
fi
if [ -x .venv/bin/python ] && ! .venv/bin/python -c "$supported" 2>/dev/null; then
    echo "setup: .venv was made with an unsupported Python; remove it (rm -rf .venv) and run again" >&2
    exit 1
fi

# System packages: bubblewrap isolates student code; for the tests, shellcheck
# lints collate.sh and bsdtar (libarchive-tools) packs like macOS students do.
wanted=()
command -v bwrap >/dev/null 2>&1 || wanted+=(bubblewrap)
if [ "${EXTRAS:-}" = "test" ]; then
    command -v shellcheck >/dev/null 2>&1 || wanted+=(shellcheck)
    command -v bsdtar >/dev/null 2>&1 || wanted+=(libarchive-tools)
fi
if [ "${#wanted[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing ${wanted[*]} with apt-get"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${wanted[@]}" >/dev/null
    else
        echo "setup: WARNING: please install ${wanted[*]} (e.g. sudo apt-get install ${wanted[*]});" \
             "without bubblewrap the grader falls back to weak isolation" >&2
    fi
fi

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    "$PYTHON" -m venv .venv
fi
spec="."
[ -n "${EXTRAS:-}" ] && spec=".[${EXTRAS}]"
echo "setup: installing the kit ($spec) into .venv"
log=.venv/pip-install.log
if ! .venv/bin/python -m pip install --disable-pip-version-check -e "$spec" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "setup: pip install failed; the whole log is $log" >&2
    exit 1
fi
export PATH="$ROOT/.venv/bin:$PATH"
