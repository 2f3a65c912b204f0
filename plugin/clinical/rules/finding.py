"""What a rule returns: which rule, how severe, on what evidence.  Wording lives in answer/wording.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from plugin.clinical.facts.model import Evidence

Indicator = Literal["info", "warning", "critical"]
SEVERITY = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True, init=False)
class Finding:
    rule: str
    indicator: Indicator
    evidence: tuple[Evidence, ...] = ()
    safe_start: date | None = None  # first day on which this rule would no longer fire
    data: dict[str, Any] = field(default_factory=dict)

    def __init__(
        self,
        rule: str,
        indicator: Indicator,
        evidence: tuple[Evidence, ...] = (),
        safe_start: date | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        # What the generated frozen __init__ does (one object.__setattr__ per field), in one update.
        fields = {"rule": rule, "indicator": indicator, "evidence": evidence, "safe_start": safe_start}
        self.__dict__.update(fields, data={} if data is None else data)
