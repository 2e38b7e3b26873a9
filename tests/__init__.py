"""Test suite; run with `make test`."""
