"""Output surfaces. Each backend registers by name in `registry`."""
