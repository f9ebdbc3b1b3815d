"""Sub-commands of the ``hotline`` command line."""
