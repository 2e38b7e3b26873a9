"""The OpenADR 2.0b VTN: the server a utility runs."""
