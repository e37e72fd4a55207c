"""SLA policies (SPEC §5): matched by priority, segment and channel; first match applies."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from supportkpi.calendar.durations import parse_duration

TARGET_TYPES = ("first_response", "next_response", "resolution")
MATCH_KEYS = ("priority", "segment", "channel")


@dataclass(frozen=True)
class SlaPolicy:
    """One policy: which tickets it matches and its targets in seconds."""

    name: str
    match: dict[str, tuple[str, ...]] = field(default_factory=dict)
    targets: dict[str, float] = field(default_factory=dict)
    business_hours: bool = False

    def __hash__(self) -> int:
        # A policy is part of what decides a compiled statement (query/shapes.py keys by it).
        return hash(
            (
                self.name,
                tuple(sorted(self.match.items())),
                tuple(sorted(self.targets.items())),
                self.business_hours,
            )
        )


def matching_key(policies: tuple[SlaPolicy, ...]) -> str:
    """Which tickets each policy takes, in order (the first match wins), as JSON: all that
    the SLA clocks depend on (targets and business hours are applied per query)."""
    return json.dumps(
        [[p.name, {k: list(v) for k, v in sorted(p.match.items())}] for p in policies]
    )


def policies_of_key(key: str) -> tuple[SlaPolicy, ...]:
    """The policies of a :func:`matching_key` (names and matches; no targets)."""
    return tuple(
        SlaPolicy(name, {k: tuple(v) for k, v in match.items()}) for name, match in json.loads(key)
    )


def parse_policies(items: Any, problems: list[str]) -> list[SlaPolicy]:
    """Parse the ``[[sla]]`` array; problems are appended, never raised."""
    if items is None:
        return []
    if not isinstance(items, list):
        problems.append("sla: must be an array of tables ([[sla]])")
        return []
    policies = []
    for index, item in enumerate(items):
        where = f"sla[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a table")
            continue
        name = str(item.get("name", f"policy {index + 1}"))
        where = f"sla.{name}"
        known = {"name", "business_hours", *MATCH_KEYS, *TARGET_TYPES}
        problems.extend(f"{where}.{k}: unknown setting" for k in item if k not in known)
        match = {}
        for key in MATCH_KEYS:
            if key in item:
                values = item[key] if isinstance(item[key], list) else [item[key]]
                match[key] = tuple(str(v).lower() for v in values)
        targets = {}
        for target in TARGET_TYPES:
            if target in item:
                try:
                    targets[target] = parse_duration(item[target])
                except ValueError as exc:
                    problems.append(f"{where}.{target}: {exc}")
        if not targets:
            problems.append(f"{where}: no target (first_response, next_response or resolution)")
        business = item.get("business_hours", False)
        if not isinstance(business, bool):
            problems.append(f"{where}.business_hours: must be true or false")
            business = False
        policies.append(SlaPolicy(name, match, targets, business))
    return policies
