"""Hostile and broken submissions for tests/test_hostile.py (see builders.py)."""
