"""Helpers shared by the test modules (plain functions and classes; fixtures are in conftest)."""
