"""End-to-end tests: whole programs in subprocesses."""
