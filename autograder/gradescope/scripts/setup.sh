#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image
# (the bundle is unpacked in /autograder/source). It installs:
#   - from the distribution's archive (apt): Python 3.11 with venv, bubblewrap
#     (isolates student code) and setpriv (runs each child under an unprivileged
#     user id of its own, 65000 and up, with no account);
#   - from the package registry (pip): exactly the versions pinned in
#     requirements.txt and constraints.txt, into a virtual environment at
#     $AUTOGRADER_VENV (default: venv/ beside this script).
# Nothing else is downloaded: no installer scripts, no binaries.
#
# Environment (all optional; the defaults are right on Gradescope):
#   AUTOGRADER_PYTHON   the Python 3.11 to build the venv from
#   AUTOGRADER_VENV     where the venv goes
#   AUTOGRADER_NO_APT=1 never run apt-get (fail instead when something is missing)
#   PIP_NO_INDEX, PIP_FIND_LINKS, PIP_INDEX_URL, ...  read by pip itself, e.g. to
#                       install from a folder of wheels without a network
#   AUTOGRADER_SKIP_SELFTEST=1  skip grading the reference solution at the end
set -euo pipefail
umask 022
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${AUTOGRADER_VENV:-$SOURCE/venv}"
export DEBIAN_FRONTEND=noninteractive

say() { printf 'setup.sh: %s\n' "$*"; }
die() { printf 'setup.sh: ERROR: %s\n' "$*" >&2; exit 1; }

is_311() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; }

apt_install() {
    [ "$#" -gt 0 ] || return 0
    if [ "${AUTOGRADER_NO_APT:-0}" = 1 ]; then
        die "missing: $* (and AUTOGRADER_NO_APT=1 forbids apt-get)"
    fi
    command -v apt-get >/dev/null 2>&1 || die "missing: $*, and there is no apt-get to install it"
    say "apt-get install $*"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@" ||
        die "apt-get could not install $*. Python 3.11 is in the archive of Ubuntu 22.04: choose that base image on Gradescope (or set AUTOGRADER_PYTHON)."
}

# 1. System packages.
PYTHON="${AUTOGRADER_PYTHON:-}"
if [ -z "$PYTHON" ]; then
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && is_311 "$(command -v "$candidate")"; then
            PYTHON="$(command -v "$candidate")"
            break
        fi
    done
fi
wanted=()
if [ -z "$PYTHON" ]; then
    wanted+=(python3.11 python3.11-venv)
elif ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    wanted+=("$(basename "$PYTHON")-venv")
fi
command -v bwrap >/dev/null 2>&1 || wanted+=(bubblewrap)
[ -x /usr/bin/setpriv ] || wanted+=(util-linux)
apt_install ${wanted[@]+"${wanted[@]}"}
if [ -z "$PYTHON" ]; then
    PYTHON="$(command -v python3.11)" || die "python3.11 is still missing after apt-get"
fi
is_311 "$PYTHON" || die "$PYTHON is not Python 3.11 (the pinned numpy and the kit need 3.11)"
say "Python: $PYTHON ($("$PYTHON" --version 2>&1))"

# 2. The virtual environment, with exactly the pinned packages.
say "creating the virtual environment $VENV"
"$PYTHON" -m venv --clear "$VENV"
say "installing requirements.txt (constrained by constraints.txt)"
"$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --prefer-binary \
    -r "$SOURCE/requirements.txt" -c "$SOURCE/constraints.txt"

# 3. Check it: the sandbox it will use, then grade the reference solution.
cd "$SOURCE"
if [ "${AUTOGRADER_SKIP_SELFTEST:-0}" = 1 ]; then
    "$VENV/bin/python" -m autograder.gradescope check
else
    "$VENV/bin/python" -m autograder.gradescope selftest
fi
say "done"
