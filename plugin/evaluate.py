"""The pipeline: request -> record -> facts -> rules -> cards.  Only this module reads the clock."""

from __future__ import annotations

from typing import Any

from plugin.hook_request import HookRequest
from plugin.policy import Policy
from plugin.settings import Settings
from plugin.terminology import Terminology


def evaluate(request: HookRequest, settings: Settings, policy: Policy, terminology: Terminology) -> dict[str, Any]:
    return {"cards": []}
