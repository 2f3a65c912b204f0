"""Command line: naltrexone-cds evaluate | serve."""

from __future__ import annotations

import click


@click.group()
def main() -> None:
    """naltrexone-cds: CDS Hooks service guarding naltrexone starts."""
