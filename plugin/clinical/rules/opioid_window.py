"""R1-R3 - active opioid therapy and the opioid-free interval before naltrexone.

When: an opioid is active (ongoing status, supply covering today, or drafted in this session), or its
estimated last dose lies inside the class's opioid-free window.
The interval runs to the planned start (a future start date on the draft), else to today.
Then: critical (R1; R2 < 7 d; R3 < 14 d, XR buprenorphine < 6 months), warning late in the window
(R2 7-10 d; XR buprenorphine 6-12 months).  The window is counted from the estimated last dose.
Source: naltrexone labels [L1][L4]; SAMHSA [S1]; docs/clinical-rules.md.
"""

from __future__ import annotations

from datetime import date, timedelta

from plugin.clinical.facts.model import Facts, OpioidClass, OpioidExposure
from plugin.clinical.policy import Policy
from plugin.clinical.rules.finding import Finding, Indicator


def _active(facts: Facts, exposure: OpioidExposure) -> bool:
    return exposure.ongoing or (exposure.last_dose is not None and exposure.last_dose >= facts.now)


def check_active(facts: Facts, policy: Policy) -> Finding | None:
    """R1 - opioid therapy active now."""
    active = [e for e in facts.opioid_exposures if _active(facts, e)]
    if not active:
        return None
    return Finding("R1", "critical", tuple(e.evidence for e in active), data={"estimates": estimates(active)})


def estimates(exposures: list[OpioidExposure]) -> tuple[tuple[str, str], ...]:
    """(reference, how its last dose was estimated) for the card."""
    return tuple(
        (e.evidence.reference, "drafted in this session" if e.in_this_session else e.how) for e in exposures
    )


def _latest(facts: Facts) -> dict[OpioidClass, OpioidExposure]:
    """The latest ended exposure of each opioid class (the first listed of a day), in one pass."""
    latest: dict[OpioidClass, OpioidExposure] = {}
    for exposure in facts.opioid_exposures:
        last = exposure.last_dose
        if last is None or _active(facts, exposure):
            continue
        found = latest.get(exposure.opioid_class)
        if found is None or last > (found.last_dose or last):
            latest[exposure.opioid_class] = exposure
    return latest


def _window(
    facts: Facts, exposure: OpioidExposure, critical_days: int, warning_days: int | None
) -> tuple[Indicator, date] | None:
    """(indicator, first clear day) for a last dose inside the window, else None."""
    assert exposure.last_dose is not None
    days = (facts.start_day - exposure.last_dose).days
    clear_after = warning_days if warning_days is not None else critical_days - 1
    safe = exposure.last_dose + timedelta(days=clear_after + 1)
    if days < critical_days:
        return "critical", safe
    if warning_days is not None and days <= warning_days:
        return "warning", safe
    return None


def check_short_acting(facts: Facts, policy: Policy) -> Finding | None:
    """R2 - last short-acting dose < 7 days (critical) or 7-10 days (warning) ago."""
    latest = _latest(facts).get("short-acting")
    if latest is None:
        return None
    hit = _window(facts, latest, policy.short_acting_critical_days, policy.short_acting_warning_days)
    if hit is None:
        return None
    assert latest.last_dose is not None
    return Finding(
        "R2",
        hit[0],
        (latest.evidence,),
        safe_start=hit[1],
        data={
            "days": (facts.start_day - latest.last_dose).days,
            "minimum_reached": latest.last_dose + timedelta(days=policy.short_acting_critical_days),
            "estimates": estimates([latest]),
        },
    )


def check_long_acting(facts: Facts, policy: Policy) -> Finding | None:
    """R3 - methadone/buprenorphine/ER opioid < 14 days; XR buprenorphine < 6 (12) months."""
    hits: list[tuple[Indicator, date, OpioidExposure]] = []
    ended = _latest(facts)
    latest = ended.get("long-acting")
    if latest is not None:
        hit = _window(facts, latest, policy.long_acting_critical_days, None)
        if hit:
            hits.append((hit[0], hit[1], latest))
    latest_xr = ended.get("xr-buprenorphine")
    if latest_xr is not None:
        hit = _window(
            facts, latest_xr, policy.xr_buprenorphine_critical_days, policy.xr_buprenorphine_warning_days
        )
        if hit:
            hits.append((hit[0], hit[1], latest_xr))
    if not hits:
        return None
    indicator: Indicator = "critical" if any(h[0] == "critical" for h in hits) else "warning"
    exposure = hits[0][2]
    assert exposure.last_dose is not None
    return Finding(
        "R3",
        indicator,
        tuple(h[2].evidence for h in hits),
        safe_start=max(h[1] for h in hits),
        data={
            "days": (facts.start_day - exposure.last_dose).days,
            "classes": [h[2].opioid_class for h in hits],
            "estimates": estimates([h[2] for h in hits]),
        },
    )
