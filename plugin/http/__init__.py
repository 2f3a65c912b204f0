"""The edge: discovery, hook calls, feedback, CORS/limits/headers, service entries."""
