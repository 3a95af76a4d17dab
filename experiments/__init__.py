"""Command lines of psn-jax (thin: parse a config, call the library)."""

# First thing a command line imports: installs the Ctrl-C handler (exit 130,
# see experiments.interrupt) before anything heavy loads.
from experiments import interrupt as _interrupt  # pylint: disable=unused-import
