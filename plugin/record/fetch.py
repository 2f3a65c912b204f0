"""Fetch absent prefetch keys from fhirServer (filled in by the data-fetching issue)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from plugin.errors import PrefetchUnavailable

if TYPE_CHECKING:
    from plugin.hook_request import HookRequest
    from plugin.record.gather import FetchFailure
    from plugin.settings import Settings


@dataclass(frozen=True)
class FetchResult:
    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failures: tuple[FetchFailure, ...] = ()


def fetch_missing(request: HookRequest, keys: tuple[str, ...], settings: Settings) -> FetchResult:
    raise PrefetchUnavailable("fetching from fhirServer is not supported yet", missing=list(keys))
