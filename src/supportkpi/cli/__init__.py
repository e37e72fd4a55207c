"""The `supportkpi` command line: thin commands over the library."""
