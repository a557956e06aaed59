"""The reliability suite: scenarios shared by pytest (short form) and scripts/reliability.py (long form)."""
