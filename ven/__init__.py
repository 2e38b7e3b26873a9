"""The OpenADR 2.0b VEN: the client a building runs."""
