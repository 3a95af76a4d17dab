"""Command lines of psn-jax (thin: parse a config, call the library)."""

# First thing a command line imports: installs the Ctrl-C handler (exit 130,
# see experiments.cli) before anything heavy loads.
from experiments import cli as _cli  # pylint: disable=unused-import
