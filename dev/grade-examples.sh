#!/usr/bin/env bash
# Set up (venv, pinned dependencies, bubblewrap) and grade the example submissions:
# the reference, the untouched stubs and a few realistic buggy ones.
# Reports go to grading-output/results/ (NAME/results.json, NAME/feedback.md, grades.csv).
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
rm -rf grading-output
python dev/make_examples.py grading-output/submissions >/dev/null
autograder grade grading-output/submissions/*.tar.gz --out grading-output/results --jobs 2
echo "feedback for one student: grading-output/results/bug-conv-backward-slice-pad/feedback.md"
