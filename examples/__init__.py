"""Runnable scenarios and example building configurations."""
