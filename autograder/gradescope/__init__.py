"""Gradescope: the bundle an instructor uploads (bundle.py, with the two scripts in scripts/)
and what runs inside it for each submission (run.py; `python -m autograder.gradescope`)."""
