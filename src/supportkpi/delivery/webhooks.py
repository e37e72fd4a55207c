"""Webhooks over HTTP: Slack-compatible incoming webhooks and a generic JSON endpoint.

A Slack (or Mattermost, Rocket.Chat, Teams-via-Slack-format) incoming webhook takes
``{"text": ...}`` with mrkdwn; a ``json`` webhook gets the message's whole payload (the report
document or the alert, as data). A 5xx answer, a 429, a timeout or a refused connection is
retried; any other 4xx is final (the URL or the payload is wrong, retrying cannot help).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx2 as httpx

from supportkpi.config.reporting import WebhookSettings
from supportkpi.delivery.message import Message
from supportkpi.delivery.retry import Permanent, with_retries

USER_AGENT = "supportkpi-delivery"


def webhook_body(hook: WebhookSettings, message: Message) -> dict[str, Any]:
    """The JSON body ``hook`` receives for ``message``."""
    if hook.kind == "slack":
        lines = [f"*{message.subject}*", *(f"• {line}" for line in message.lines)]
        if message.link:
            lines.append(f"<{message.link}|Open in the dashboard>")
        return {"text": "\n".join(lines)}
    return {"subject": message.subject, "link": message.link, **message.payload}


def send_webhook(
    hook: WebhookSettings,
    message: Message,
    attempts: int = 3,
    backoff_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """POST ``message`` to ``hook``; raise one DeliveryError line when every attempt failed."""
    body = webhook_body(hook, message)

    def attempt() -> None:
        with httpx.Client(timeout=hook.timeout_s, headers={"User-Agent": USER_AGENT}) as client:
            try:
                answer = client.post(hook.url, json=body)
            except httpx.TimeoutException:
                raise TimeoutError(f"no answer within {hook.timeout_s:g}s") from None
            except httpx.TransportError as exc:
                raise ConnectionError(str(exc) or type(exc).__name__) from None
        if answer.status_code >= 500 or answer.status_code == 429:
            raise ConnectionError(f"HTTP {answer.status_code}")
        if answer.status_code >= 400:
            raise Permanent(f"HTTP {answer.status_code} {answer.text[:120]!r}")

    with_retries(attempt, f"webhook {hook.name}", attempts, backoff_s, sleep)
