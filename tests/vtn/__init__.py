"""Tests of vtn."""
