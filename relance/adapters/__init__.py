"""The outside world: spreadsheet backends, mailers, the run lock, files, crash points."""
