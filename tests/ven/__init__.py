"""Tests of ven."""
