"""From a planned reminder to a message: rendering, previews, template checks."""
