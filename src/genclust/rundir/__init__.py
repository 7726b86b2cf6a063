"""Run directories: their names and files, atomic writes into them, guards around them, and
reading a finished run back. Light imports only: the command line uses it before torch."""
