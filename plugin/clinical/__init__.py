"""Deciding, pure (no Flask, no I/O, ``now`` passed in): request -> facts -> rules -> answer."""
