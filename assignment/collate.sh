#!/usr/bin/env bash
# collate.sh - check your work and pack it into one file to upload.
#
#   bash collate.sh [STUDENT_ID]
#
# Run it in the handout folder (the one holding this script, layers/ and the
# notebooks), or from anywhere as `bash path/to/collate.sh`: it always packs
# the folder it sits in. It writes
#
#   STUDENT_ID_submission.tar.gz   when you give a STUDENT_ID
#   submission.tar.gz              when you do not
#
# next to itself, holding exactly layers/conv.py, layers/norm.py and the
# notebooks (*.ipynb) of the folder. STUDENT_ID may use letters, digits and
# the characters . _ - (it starts with a letter or digit, 64 characters at
# most). An older file of the same name is kept, renamed with a timestamp.
#
# Before packing it checks each file (present, changed since the handout,
# valid Python; notebooks run, saved and completed, as layers/handin.py and
# the autograder define it) and runs the quick self-check
# `python -m layers.selfcheck`; anything incomplete is a WARNING. It changes nothing else in the
# folder. Exit status: 0 packed (read any warnings), 1 not packed because a
# file is missing or broken, 2 wrong use (bad argument, wrong place).
#
# Works with bash 3.2 (macOS) and later, GNU or BSD tar.

if [ -z "${BASH_VERSION:-}" ]; then
    echo "collate.sh: run it with bash:  bash collate.sh" >&2
    exit 2
fi

set -u
unset CDPATH
COPYFILE_DISABLE=1   # macOS tar: no ._ companion files
export COPYFILE_DISABLE

STUDENT_FILES=(layers/conv.py layers/norm.py)
MANIFEST=MANIFEST.sha256
SELFCHECK_SECONDS=120
ID_CHARS=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-

# ------------------------------------------------------------------ output

if [ -t 1 ] && [ "${TERM:-dumb}" != dumb ] && [ -z "${NO_COLOR:-}" ]; then
    BOLD=$(printf '\033[1m'); RED=$(printf '\033[31m'); YELLOW=$(printf '\033[33m')
    GREEN=$(printf '\033[32m'); RESET=$(printf '\033[0m')
else
    BOLD=; RED=; YELLOW=; GREEN=; RESET=
fi

ERRORS=()
WARNINGS=()

say() { printf '%s\n' "$*"; }
ok() { printf '  %sok%s       %s\n' "$GREEN" "$RESET" "$*"; }
note() { printf '  note     %s\n' "$*"; }
warn() {
    WARNINGS+=("$*")
    printf '  %s%sWARNING%s  %s\n' "$BOLD" "$YELLOW" "$RESET" "$*"
}
problem() {
    ERRORS+=("$*")
    printf '  %s%sERROR%s    %s\n' "$BOLD" "$RED" "$RESET" "$*"
}
die() {
    # die STATUS MESSAGE...: stop before packing anything.
    local status=$1
    shift
    printf '%scollate.sh: %s%s\n' "$RED" "$*" "$RESET" >&2
    exit "$status"
}

usage() {
    cat <<'EOF'
Usage: bash collate.sh [STUDENT_ID]

Checks your work and packs layers/conv.py, layers/norm.py and the notebooks
of the handout folder (the one holding collate.sh) into
STUDENT_ID_submission.tar.gz, or submission.tar.gz without a STUDENT_ID.
STUDENT_ID: letters, digits and . _ - only, starting with a letter or digit.
An older file of the same name is kept, renamed with a timestamp.
Exit status: 0 packed, 1 a file is missing or broken, 2 wrong use.
EOF
}

# --------------------------------------------------------------- arguments

student_id=
have_id=no
for arg in "$@"; do
    case $arg in
        -h | --help)
            usage
            exit 0
            ;;
        -*)
            usage >&2
            die 2 "unknown option '$arg'"
            ;;
        *)
            if [ "$have_id" = yes ]; then
                usage >&2
                die 2 "give at most one STUDENT_ID (got '$student_id' and '$arg')"
            fi
            student_id=$arg
            have_id=yes
            ;;
    esac
done

if [ "$have_id" = yes ]; then
    case $student_id in
        "" | *[!$ID_CHARS]*)
            die 2 "'$student_id' is not a valid STUDENT_ID: use letters, digits and . _ - only (e.g. bash collate.sh jdoe123)"
            ;;
        [._-]*)
            die 2 "'$student_id' is not a valid STUDENT_ID: it must start with a letter or a digit"
            ;;
    esac
    if [ "${#student_id}" -gt 64 ]; then
        die 2 "'$student_id' is not a valid STUDENT_ID: at most 64 characters"
    fi
    tarball_name="${student_id}_submission.tar.gz"
else
    tarball_name="submission.tar.gz"
fi

# ------------------------------------------------------------ where we are

script=${BASH_SOURCE[0]:-}
if [ -z "$script" ] || [ ! -f "$script" ]; then
    die 2 "run collate.sh as a file, e.g.  bash collate.sh  in the handout folder"
fi
case $script in
    */*) script_dir=${script%/*} ;;
    *) script_dir=. ;;
esac
[ -n "$script_dir" ] || script_dir=/
root=$(cd -P -- "$script_dir" && pwd -P) || die 2 "cannot enter the folder of collate.sh ($script_dir)"

if [ ! -d "$root/layers" ]; then
    hint="Keep collate.sh in the handout folder, next to layers/ and the notebooks, and run it there."
    if [ -d layers ] && [ -f collate.sh ]; then
        hint="The current folder looks like the handout: run  bash collate.sh  here (the copy in $root is not in a handout)."
    fi
    die 2 "no layers/ folder next to collate.sh in $root: this is not the handout folder. $hint"
fi

say "${BOLD}collate.sh${RESET}: packing the handout in $root"
if [ "$have_id" = yes ]; then
    say "student id: $student_id"
else
    say "no student id given: the file will be called $tarball_name (bash collate.sh YOUR_ID names it YOUR_ID_submission.tar.gz)"
fi

# ------------------------------------------------------------------- tools

SHA_TOOL=
if command -v sha256sum >/dev/null 2>&1; then
    SHA_TOOL=sha256sum
elif command -v shasum >/dev/null 2>&1; then
    SHA_TOOL=shasum
elif command -v openssl >/dev/null 2>&1; then
    SHA_TOOL=openssl
fi

PY=
PY_NUMPY=
find_python() {
    local candidate
    for candidate in ${PYTHON:+"$PYTHON"} python3 python; do
        command -v "$candidate" >/dev/null 2>&1 || continue
        if [ -z "$PY" ] && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 6))' >/dev/null 2>&1; then
            PY=$candidate
        fi
        if [ -z "$PY_NUMPY" ] && (cd -- "${TMPDIR:-/tmp}" && PYTHONDONTWRITEBYTECODE=1 "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 6)); import numpy') >/dev/null 2>&1; then
            PY_NUMPY=$candidate
        fi
    done
}
find_python

sha256_of() {
    # Print the SHA-256 of file $1 (empty when no tool can compute it).
    local line
    case $SHA_TOOL in
        sha256sum) line=$(sha256sum <"$1") ;;
        shasum) line=$(shasum -a 256 <"$1") ;;
        openssl) line=$(openssl dgst -sha256 <"$1" | sed 's/^.*= *//') ;;
        *)
            if [ -n "$PY" ]; then
                line=$("$PY" -I -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1")
            else
                line=
            fi
            ;;
    esac
    printf '%s\n' "${line%% *}"
}

size_of() {
    local bytes
    bytes=$(wc -c <"$1") || bytes=0
    printf '%s\n' "$((bytes + 0))"
}

# The released checksums: MANIFEST_PATHS[i] has MANIFEST_SUMS[i].
MANIFEST_PATHS=()
MANIFEST_SUMS=()
if [ -f "$root/$MANIFEST" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%$'\r'}
        case $line in
            *"  "*) ;;
            *" *"*) line="${line%% \**}  ${line#* \*}" ;;
            *) continue ;;
        esac
        MANIFEST_SUMS+=("${line%%  *}")
        MANIFEST_PATHS+=("${line#*  }")
    done <"$root/$MANIFEST"
fi

released_sum() {
    # Print the released checksum of path $1; fail when the manifest does not list it.
    local i=0
    while [ "$i" -lt "${#MANIFEST_PATHS[@]}" ]; do
        if [ "${MANIFEST_PATHS[$i]}" = "$1" ]; then
            printf '%s\n' "${MANIFEST_SUMS[$i]}"
            return 0
        fi
        i=$((i + 1))
    done
    return 1
}

# ------------------------------------------------------- what gets packed

MEMBERS=("${STUDENT_FILES[@]}")

# Notebooks: the ones released (MANIFEST) must be there; any other *.ipynb at
# the top is packed as well.
RELEASED_NOTEBOOKS=()
i=0
while [ "$i" -lt "${#MANIFEST_PATHS[@]}" ]; do
    path=${MANIFEST_PATHS[$i]}
    case $path in
        */*) ;;
        *.ipynb) RELEASED_NOTEBOOKS+=("$path") ;;
    esac
    i=$((i + 1))
done
EXTRA_NOTEBOOKS=()
for path in "$root"/*.ipynb; do
    [ -e "$path" ] || [ -L "$path" ] || continue
    name=${path##*/}
    MEMBERS+=("$name")
    listed=no
    for released in ${RELEASED_NOTEBOOKS[@]+"${RELEASED_NOTEBOOKS[@]}"}; do
        [ "$released" = "$name" ] && listed=yes
    done
    [ "$listed" = yes ] || EXTRA_NOTEBOOKS+=("$name")
done
# A released notebook that is gone is listed too, to be reported missing.
for released in ${RELEASED_NOTEBOOKS[@]+"${RELEASED_NOTEBOOKS[@]}"}; do
    [ -e "$root/$released" ] || [ -L "$root/$released" ] || MEMBERS+=("$released")
done

# ------------------------------------------------------------------ checks

say ""
say "Checking the files to submit:"

if [ ! -f "$root/$MANIFEST" ]; then
    warn "$MANIFEST is missing, so collate.sh cannot tell whether you changed the files: copy it back from the handout"
elif [ -z "$SHA_TOOL" ] && [ -z "$PY" ]; then
    note "no sha256sum, shasum, openssl or python found: cannot tell whether you changed the files"
fi

# Files that exist and are regular, to be checked by content below.
CHECKABLE=()
for member in "${MEMBERS[@]}"; do
    path="$root/$member"
    case $member in
        -*)
            problem "$member: a file name starting with '-' cannot be packed safely: rename it"
            continue
            ;;
    esac
    if [ -L "$path" ]; then
        problem "$member is a symbolic link: replace it with the file itself"
    elif [ ! -e "$path" ]; then
        case $member in
            *.py) problem "$member is missing: put your file back at $member (the handout's copy is the starting point)" ;;
            *) problem "$member is missing: the notebook must be in the handout folder under this name (restore or rename it)" ;;
        esac
    elif [ ! -f "$path" ]; then
        problem "$member is not a regular file"
    elif [ ! -r "$path" ]; then
        problem "$member cannot be read (check its permissions)"
    elif [ ! -s "$path" ]; then
        problem "$member is empty: restore your work (or the handout's copy) before submitting"
    else
        CHECKABLE+=("$member")
    fi
done

UNCHANGED=()
for member in ${CHECKABLE[@]+"${CHECKABLE[@]}"}; do
    expected=$(released_sum "$member") || expected=
    if [ -n "$expected" ]; then
        actual=$(sha256_of "$root/$member")
        if [ -n "$actual" ] && [ "$actual" = "$expected" ]; then
            UNCHANGED+=("$member")
            case $member in
                *.py) warn "$member is UNCHANGED since the handout: none of your code is in it, so it will score 0" ;;
                *) warn "$member is UNCHANGED since the handout: it has not been run or saved by you" ;;
            esac
        fi
    fi
    listed=no
    for name in ${EXTRA_NOTEBOOKS[@]+"${EXTRA_NOTEBOOKS[@]}"}; do
        [ "$name" = "$member" ] && listed=yes
    done
    if [ "$listed" = yes ]; then
        note "$member is not a notebook of the handout; it is packed too (move it elsewhere if it should not be)"
    fi
done

is_unchanged() {
    local member
    for member in ${UNCHANGED[@]+"${UNCHANGED[@]}"}; do
        [ "$member" = "$1" ] && return 0
    done
    return 1
}

# Content checks by layers/handin.py (given code, also the grader's definition
# of a notebook "run, saved and completed"): it reads file names (relative to
# the root) and prints one line per finding: "O text" fine, "E text" error,
# "W text" warning, "N text" note, "+ text" continues the previous line.
HANDIN=layers/handin.py

TO_CHECK=()
for member in ${CHECKABLE[@]+"${CHECKABLE[@]}"}; do
    # An unchanged notebook was warned about already; an unchanged module is still compiled.
    case $member in
        *.ipynb) is_unchanged "$member" && continue ;;
    esac
    TO_CHECK+=("$member")
done

if [ "${#TO_CHECK[@]}" -gt 0 ]; then
    if [ -n "$PY" ] && [ -f "$root/$HANDIN" ]; then
        findings=$(cd -- "$root" && PYTHONDONTWRITEBYTECODE=1 "$PY" -I -B "$HANDIN" check "$root" "${TO_CHECK[@]}" 2>&1) ||
            warn "the file checks of $HANDIN stopped early: $findings"
        kind=
        text=
        flush() {
            case $kind in
                O) ok "$text" ;;
                E) problem "$text" ;;
                W) warn "$text" ;;
                N) note "$text" ;;
            esac
            kind=
            text=
        }
        while IFS= read -r line || [ -n "$line" ]; do
            case $line in
                "+ "*) text="$text"$'\n           '"${line:2}" ;;
                [OEWN]" "*)
                    flush
                    kind=${line:0:1}
                    text=${line:2}
                    ;;
                *) [ -z "$line" ] || note "$line" ;;
            esac
        done <<EOF
$findings
EOF
        flush
    else
        if [ -z "$PY" ]; then
            why="Python was not found (python3 or python)"
        else
            why="$HANDIN is missing (given code: copy it back from the handout)"
        fi
        warn "$why, so the Python files were not compiled and the notebooks not checked (run, saved and completed): check them yourself"
        for member in "${TO_CHECK[@]}"; do
            case $member in
                *.ipynb)
                    first=$(tr -d ' \t\r\n' <"$root/$member" | cut -c1)
                    if [ "$first" != "{" ] || ! grep -q '"cells"' "$root/$member"; then
                        problem "$member does not look like a saved notebook: open it in Jupyter and save it, or restore it"
                    else
                        ok "$member (present; not checked)"
                    fi
                    ;;
                *) ok "$member (present; not compiled)" ;;
            esac
        done
    fi
fi

# Saved after the latest code change? A notebook older than the code it runs
# shows outputs of an earlier version.
for member in ${CHECKABLE[@]+"${CHECKABLE[@]}"}; do
    case $member in
        *.ipynb) ;;
        *) continue ;;
    esac
    is_unchanged "$member" && continue
    for file in "${STUDENT_FILES[@]}"; do
        if [ -f "$root/$file" ] && [ "$root/$file" -nt "$root/$member" ]; then
            note "$member was saved before your latest change to $file: re-run it and save it if its outputs should show your final code"
            break
        fi
    done
done

# Git, where the folder is in a repository: information only.
if command -v git >/dev/null 2>&1 &&
    git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git_state=$(GIT_OPTIONAL_LOCKS=0 GIT_LITERAL_PATHSPECS=1 git -C "$root" status --porcelain -- "${MEMBERS[@]}" 2>/dev/null) || git_state=
    if [ -n "$git_state" ]; then
        count=$(printf '%s\n' "$git_state" | grep -c .)
        note "git: $count of the files to submit are not committed (fine for submitting; commit them to keep a record)"
    fi
fi

if [ "${#ERRORS[@]}" -gt 0 ]; then
    say ""
    {
        printf '%s%sNOT PACKED%s: %d problem(s) to fix first:\n' "$BOLD" "$RED" "$RESET" "${#ERRORS[@]}"
        for message in "${ERRORS[@]}"; do
            printf '  - %s\n' "$message"
        done
        say "Fix them, then run  bash collate.sh${student_id:+ $student_id}  again. Nothing was written."
    } >&2
    exit 1
fi

# -------------------------------------------------------------- self-check

say ""
if [ -n "$PY_NUMPY" ]; then
    say "Quick self-check (python -m layers.selfcheck; advice only):"
    limiter=()
    for tool in timeout gtimeout; do
        if command -v "$tool" >/dev/null 2>&1; then
            if "$tool" --foreground 5 true >/dev/null 2>&1; then
                limiter=("$tool" --foreground "$SELFCHECK_SECONDS")
            else
                limiter=("$tool" "$SELFCHECK_SECONDS")
            fi
            break
        fi
    done
    selfcheck_output=$(
        cd -- "$root" || exit 3
        PYTHONDONTWRITEBYTECODE=1 ${limiter[@]+"${limiter[@]}"} "$PY_NUMPY" -B -u -m layers.selfcheck </dev/null 2>&1
    )
    status=$?
    printf '%s\n' "$selfcheck_output" | sed 's/^/  | /'
    verdict=$(printf '%s\n' "$selfcheck_output" | grep -E '^[0-9]+ ok, [0-9]+ not implemented, [0-9]+ to look at' | tail -n 1)
    verdict=${verdict%%;*}
    verdict=${verdict%.}
    case $status in
        0) ok "the self-check passed: $verdict" ;;
        1) warn "the self-check did not pass ($verdict): fix what it reports above (python -m layers.selfcheck -v shows every case, the worst element and both values)" ;;
        124) warn "the self-check was stopped after ${SELFCHECK_SECONDS} s: run  python -m layers.selfcheck  to see which function is too slow" ;;
        *) warn "the self-check could not run (exit status $status); run  python -m layers.selfcheck  to see why" ;;
    esac
elif [ -n "$PY" ]; then
    warn "numpy is not installed for $PY, so the quick self-check was skipped (set up the environment of README.md)"
else
    warn "Python was not found, so the quick self-check was skipped (set up the environment of README.md)"
fi

# ------------------------------------------------------------------ pack

work=$(mktemp -d "${TMPDIR:-/tmp}/collate.XXXXXX") || die 2 "cannot create a temporary folder"
trap 'rm -rf -- "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

staged="$work/$tarball_name"
if tar --version 2>/dev/null | grep -qi bsdtar &&
    tar --no-mac-metadata --no-xattrs -czf "$staged" -C "$root" "${MEMBERS[@]}" 2>/dev/null; then
    :
elif ! tar -czf "$staged" -C "$root" "${MEMBERS[@]}"; then
    die 2 "tar could not write the archive; nothing was written to $root"
fi

# The archive must hold exactly the members, named as given (no ./, no ._ files).
listing=$(tar -tzf "$staged") || die 2 "tar cannot read back the archive it wrote; nothing was written to $root"
expected_count=${#MEMBERS[@]}
actual_count=$(printf '%s\n' "$listing" | grep -c .)
if [ "$actual_count" != "$expected_count" ]; then
    die 2 "the archive holds $actual_count entries instead of $expected_count: $(printf '%s ' "$listing")"
fi
for member in "${MEMBERS[@]}"; do
    found=no
    while IFS= read -r entry; do
        [ "$entry" = "$member" ] && found=yes
    done <<EOF
$listing
EOF
    if [ "$found" != yes ]; then
        case $member in
            *[!\ -~]*) ;; # tar may print other characters escaped; the count above holds
            *) die 2 "the archive lacks the member $member (it lists: $(printf '%s ' "$listing"))" ;;
        esac
    fi
done

target="$root/$tarball_name"
if [ -e "$target" ] || [ -L "$target" ]; then
    stamp=$(date +%Y%m%d-%H%M%S)
    base=${tarball_name%.tar.gz}
    kept="$root/$base.$stamp.tar.gz"
    n=1
    while [ -e "$kept" ] || [ -L "$kept" ]; do
        n=$((n + 1))
        kept="$root/$base.$stamp-$n.tar.gz"
    done
    mv -- "$target" "$kept" || die 2 "cannot rename the existing $tarball_name; nothing was written"
    say ""
    say "The previous $tarball_name was kept as ${kept##*/}"
fi
mv -- "$staged" "$target" || die 2 "cannot move the archive into $root"

# ---------------------------------------------------------------- report

if [ "${#WARNINGS[@]}" -gt 0 ]; then
    say ""
    say "${BOLD}${YELLOW}!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!${RESET}"
    say "${BOLD}${YELLOW}!! ${#WARNINGS[@]} WARNING(S): packed anyway, but read these before you upload:${RESET}"
    for message in "${WARNINGS[@]}"; do
        say "${BOLD}${YELLOW}!!${RESET}  - $message"
    done
    say "${BOLD}${YELLOW}!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!${RESET}"
fi

say ""
say "${BOLD}Wrote $target${RESET}"
say "members (bytes):"
for member in "${MEMBERS[@]}"; do
    printf '  %10s  %s\n' "$(size_of "$root/$member")" "$member"
done
say "size:    $(size_of "$target") bytes"
digest=$(sha256_of "$target")
say "SHA-256: ${digest:-unavailable (no sha256sum, shasum, openssl or python)}"
if [ "${#WARNINGS[@]}" -gt 0 ]; then
    say "Upload this file as your submission once you have read the ${#WARNINGS[@]} warning(s) above (the autograder will report the same)."
else
    say "Upload this file as your submission."
fi
exit 0
