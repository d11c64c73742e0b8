"""Running an experiment from the command line: its processes and its progress."""
