"""Command lines of psn-jax (thin: parse a config, call the library)."""
