"""One walk over the record's observations: their index by value set, the failed naloxone challenges
they record, and those that may be an opioid urine screen (or a failed challenge) we could not read.

What a code says is worked out once per distinct code of the record (a record repeats its tests, and
its identical concepts are one object within a hook call); each observation is then visited once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from plugin.clinical.facts.findings import NOT_RESULTS, CodedIndex, CodeSets
from plugin.clinical.facts.model import Evidence
from plugin.clinical.facts.unreadable import CHALLENGE, SCREENING, named_sets
from plugin.fhir.clinical import Observation
from plugin.fhir.record import Unreadable

_SCREEN_WORDS = frozenset({SCREENING, "opioid-short-acting", "opioid-long-acting", CHALLENGE})
PANEL = "urine-drug-screen-panel"
_SCREEN_SETS = frozenset({SCREENING, CHALLENGE})  # a code in these is read as a screen or challenge
_OBSERVATION_WORDS = _SCREEN_WORDS | {PANEL}  # what an observation's words are asked


@dataclass
class ObservationWalk:
    index: CodedIndex
    challenges: list[Evidence] = field(default_factory=list)  # failed naloxone challenges, by code or value
    suspect: list[Unreadable] = field(default_factory=list)  # may be a screen or challenge we cannot read


class _Code(NamedTuple):
    """What one distinct code says: its sets, and - for an observation without components under it -
    whether it is a drug screen panel, or words that name a screen, an opioid or a failed challenge
    under a code no screening or challenge value set knows ("OXYCODONE UR" under a local code, or a
    screen's display word for word)."""

    concept: Any  # held, so that its id is not reused while the walk lives
    coded: frozenset[str]
    screen: bool  # read as a screen or a challenge by its code
    panel: bool
    names_a_screen: bool


class _Codes:
    """``_Code`` of each distinct code of one walk, by its id (each entry holds its code)."""

    def __init__(self, sets: CodeSets) -> None:
        self._sets = sets
        self._known: dict[int, _Code] = {}

    def of(self, code: Any) -> _Code:
        known = self._known.get(id(code))
        if known is None:
            known = self._known[id(code)] = self._read(code)
        return known

    def _read(self, code: Any) -> _Code:
        coded = self._sets.of(code)
        screen = bool(coded & _SCREEN_SETS)
        if code is None or screen or not code.words:
            return _Code(code, coded, screen, PANEL in coded, False)
        named = named_sets(code.words, self._sets.term, _OBSERVATION_WORDS)
        return _Code(code, coded, screen, PANEL in coded or PANEL in named, bool(named & _SCREEN_WORDS))


def walk_observations(observations: Iterable[Observation], sets: CodeSets) -> ObservationWalk:
    """Everything the facts ask of every observation, in one walk (in the record's order)."""
    walk = ObservationWalk(CodedIndex((), sets.term))
    index, with_components, suspect = walk.index, walk.index.with_components, walk.suspect
    codes = _Codes(sets)
    for o in observations:
        code = codes.of(o.code)
        coded = code.coded
        if coded:
            index.add(o, coded)
        # A failed naloxone challenge: its code says so, or (any code) its coded value does.
        if (
            CHALLENGE in coded or ((value := o.value_concept) is not None and CHALLENGE in sets.of(value))
        ) and (o.status not in NOT_RESULTS):
            walk.challenges.append(Evidence("Observation", o.id, o.when, "naloxone challenge"))
        if o.has_components:
            with_components.append(o)
            part = "components" if o.components_damaged else _suspect_panel(o, code, codes)
        elif o.components_damaged:
            part = "components"  # component sent (null, {}, []) but none of it readable
        elif code.concept is None or code.screen:
            continue
        elif code.panel and o.status not in NOT_RESULTS and not o.result.has_value:
            part = "result"  # a drug screen panel sent with neither results nor components
        elif code.names_a_screen:
            part = "code"
        else:
            continue
        if part is not None:
            suspect.append(Unreadable(o.reference, o.key, part))
    return walk


def _suspect_panel(o: Observation, code: _Code, codes: _Codes) -> str | None:
    """The part to name of an observation with components: a component without a readable code, or a
    code (its own, unless read as a screen, or a component's) whose words name a screen."""
    for part in (o.result, *o.components):
        if part is o.result:
            if code.concept is not None and not code.screen and code.names_a_screen:
                return "code"
            continue
        concept = part.code
        if concept is None or not concept.readable or concept.damaged:
            return "component code"  # a panel's result, unnamed
        if codes.of(concept).names_a_screen:
            return "code"
    return None
