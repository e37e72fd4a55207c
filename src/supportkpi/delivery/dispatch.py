"""Send one message to every address of a schedule or alert; report each outcome."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from supportkpi.config.reporting import DeliverySettings
from supportkpi.delivery.mail import send_email
from supportkpi.delivery.message import Message
from supportkpi.delivery.webhooks import send_webhook
from supportkpi.errors import ConfigError, DeliveryError


@dataclass(frozen=True)
class Outcome:
    """One address: ``error`` is None when the message was accepted."""

    target: str
    error: str | None = None

    @property
    def sent(self) -> bool:
        return self.error is None


def deliver(
    message: Message,
    to: tuple[str, ...],
    settings: DeliverySettings,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Outcome]:
    """Send to each of ``to`` (``email:ADDRESS``, ``webhook:NAME``); one failure stops none."""
    outcomes = []
    for target in to:
        channel, _, name = target.partition(":")
        try:
            if channel == "email":
                if settings.email is None:
                    raise ConfigError("there is no [delivery.email] section")
                send_email(
                    settings.email,
                    name,
                    message,
                    settings.attempts,
                    settings.backoff_s,
                    os.environ if env is None else env,
                    sleep,
                )
            elif channel == "webhook" and name in settings.webhooks:
                hook = settings.webhooks[name]
                send_webhook(hook, message, settings.attempts, settings.backoff_s, sleep)
            else:
                raise ConfigError(f"unknown address {target!r}")
            outcomes.append(Outcome(target))
        except (DeliveryError, ConfigError) as exc:
            outcomes.append(Outcome(target, str(exc)))
    return outcomes
