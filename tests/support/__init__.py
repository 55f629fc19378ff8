"""Helpers shared by the tests (reformatting documents, golden files)."""
