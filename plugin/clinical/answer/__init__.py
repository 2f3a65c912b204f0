"""Findings -> cards, details, suggestions and companion orders (all wording, numbers from Policy)."""
