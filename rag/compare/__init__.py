"""Discourse comparison: actors' positions side by side, and outlets' accounts of one story side by side."""
