"""SLA policies, target outcomes (met, breached, running) and the at-risk list."""

from supportkpi.sla.policy import TARGET_TYPES, SlaPolicy, parse_policies

__all__ = ["TARGET_TYPES", "SlaPolicy", "parse_policies"]
