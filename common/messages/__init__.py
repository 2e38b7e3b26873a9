"""Typed OpenADR 2.0b messages: plain frozen dataclasses, one module per service."""
