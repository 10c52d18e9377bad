"""The functional core: register model, config, parsing, journal, calendar and the planner. Pure: no I/O, no clock."""
