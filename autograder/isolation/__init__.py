"""The only code that starts student processes, and the protocol they answer in.

Grader side, in the order a submission meets them:

- `probe.py`: `detect_sandbox`, the strongest isolation mode that works here
  (bubblewrap, else the process mode), checked with a real run.
- `sandbox.py`: `Sandbox`, one mode, and the argv that runs the worker in it.
- `environment.py`: the child's environment variables, the folders its Python
  needs, the grader's secret folders.
- `limits.py`: `Limits` (from the rubric) and setting them in the child.
- `uids.py`: a user id per child when the grader is root; killing and
  cleaning up everything of that user.
- `reaping.py`: the grader as subreaper of student code's orphans.
- `folders.py`: a child's code/job/out folders, measuring its output, log tails.
- `child.py`: `run_child`, one child's life: start, watchdog, stop, clean up.
- `supervisor.py`: `run_submission`, one submission's calls, in a new sandbox
  when student code kills the fork server.
- `records.py`: reading and validating the record streams the worker wrote.

Child side: `worker.py`, run as a script in the sandbox (the fork server and
its runners, writing the record streams); it also holds the protocol names
both sides share.
"""
