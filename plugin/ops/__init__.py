"""Running it: server, command line, logging, metrics, seeding, reports."""
