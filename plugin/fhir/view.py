"""The base of the resource views: read-only, each field read from the raw JSON at most once."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, overload

from plugin.fhir.dates import date_damaged, period
from plugin.fhir.quantities import quantity
from plugin.fhir.values import text

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
T = TypeVar("T")


class lazy(Generic[T]):  # noqa: N801 - used like @property
    """``lazy`` without its per-access lock (Python 3.11 takes one on every first
    read): a view belongs to one request thread.  The value lands in the instance's ``__dict__``, so
    later reads do not come here at all."""

    def __init__(self, read: Callable[[Any], T]) -> None:
        self._read = read
        self.__doc__ = read.__doc__
        self._name = read.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type) -> lazy[T]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> T: ...
    def __get__(self, instance: object | None, owner: type) -> T | lazy[T]:
        if instance is None:
            return self
        value = self._read(instance)
        instance.__dict__[self._name] = value
        return value


class View:
    """A typed, normalised, read-only view of one resource.

    ``key`` is set when the view is made; ``kind``, ``id`` (""  when not a readable FHIR id),
    ``status`` (lowercased) and the subclasses' fields are read on first use with
    ``lazy`` (once, then remembered).  Nothing can be assigned from outside:
    views are frozen.
    """

    key: str  # the prefetch key it came from ("draft" for draft orders)
    _raw: Mapping[str, Any]

    def __init__(self, resource: Mapping[str, Any], key: str, kind: str | None = None) -> None:
        fields = self.__dict__
        fields["_raw"] = resource
        fields["key"] = key
        if kind is not None:
            fields["kind"] = kind

    @lazy
    def kind(self) -> str:
        return str(self._raw.get("resourceType"))

    @lazy
    def id(self) -> str:
        rid = self._raw.get("id")
        return rid if type(rid) is str and _ID.fullmatch(rid) else ""

    @lazy
    def status(self) -> str:
        return text(self._raw.get("status")).lower()

    @property
    def status_damaged(self) -> bool:
        """A status was sent but is not a string."""
        return "status" in self._raw and type(self._raw["status"]) is not str

    def dates_damaged(self, *names: str) -> bool:
        """Some of these date/Period/Duration fields were sent but cannot be read."""
        raw = self._raw
        for name in names:
            if name not in raw:
                continue
            if name.endswith("Period"):
                if period(raw[name]).damaged:
                    return True
            elif name.endswith(("Duration", "Supply")):
                if quantity(raw[name]) is None:
                    return True
            elif date_damaged(raw, name):
                return True
        return False

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    @property
    def reference(self) -> str:
        return f"{self.kind}/{self.id}" if self.id else self.kind

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.reference}>"


class Part:
    """A read-only lazy view of a part of a resource (a component, a dosage): fields read on first use."""

    _raw: Mapping[str, Any]

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.__dict__["_raw"] = raw

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")
