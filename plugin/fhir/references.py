"""One reader of FHIR references: relative, absolute, contained ``#id``, ``urn:uuid:``, Bundle fullUrl."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from plugin.fhir.values import obj, text

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_TYPE = re.compile(r"[A-Z][A-Za-z]{1,63}")


class Ref(NamedTuple):
    """A parsed reference.  ``key`` is how the record indexes its target ("Medication/123"; the raw
    text for ``urn:`` and contained references)."""

    raw: str
    type: str | None  # "Medication"; None for contained and urn: references
    id: str | None
    contained: bool = False  # "#id": a resource in the referring resource's ``contained``
    absolute: bool = False  # "https://server/fhir/Medication/123"

    @property
    def key(self) -> str:
        return f"{self.type}/{self.id}" if self.type and self.id else self.raw


def parse_reference(raw: Any) -> Ref | None:
    """The reference a string names; None when it is not a string or names nothing."""
    value = text(raw)
    if not value:
        return None
    kind, slash, rid = value.partition("/")
    if slash and _TYPE.fullmatch(kind) and _ID.fullmatch(rid):  # the usual "Type/id"
        return Ref(value, kind, rid)
    if value.startswith("#"):
        return Ref(value, None, value[1:] or None, contained=True)
    if value.startswith("urn:"):
        return Ref(value, None, None)
    absolute = "://" in value
    path = value.split("?", 1)[0].rstrip("/")
    parts = path.split("/")
    # Type/id, or Type/id/_history/version, at the end of a relative or absolute URL.
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) >= 2 and _TYPE.fullmatch(parts[-2]) and _ID.fullmatch(parts[-1]):
        return Ref(value, parts[-2], parts[-1], absolute=absolute)
    return Ref(value, None, None, absolute=absolute)


def reference_of(value: Any) -> Ref | None:
    """The target of a FHIR Reference object ({"reference": ...}); a bare string is tolerated."""
    if isinstance(value, str):
        return parse_reference(value)
    return parse_reference(obj(value).get("reference"))


def resource_key(resource: dict[str, Any]) -> str | None:
    """ "Type/id" of a resource; None when its id is not a readable FHIR id."""
    kind, rid = resource.get("resourceType"), resource.get("id")
    if isinstance(kind, str) and isinstance(rid, str) and _ID.fullmatch(rid):
        return f"{kind}/{rid}"
    return None
