"""The command line's exit codes, shared by every subcommand without importing the CLI."""

EXIT_OK = 0
"""Everything asked for was done."""
EXIT_SOME_FAILED = 1
"""The command ran, but some images (or the cache) failed; the output says which."""
EXIT_USAGE = 2
"""The command was not run: bad arguments or configuration."""

__all__ = ["EXIT_OK", "EXIT_SOME_FAILED", "EXIT_USAGE"]
