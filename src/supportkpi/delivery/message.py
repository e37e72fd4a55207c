"""What is sent: one :class:`Message`, laid out per channel (mail, Slack, JSON webhook)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from supportkpi.delivery.charts import RenderedChart


@dataclass(frozen=True)
class Attachment:
    filename: str
    mime: str  # "application/pdf"
    content: bytes


@dataclass(frozen=True)
class Message:
    """A report or an alert, ready for any channel.

    ``text`` is the mail's plain-text part; ``lines`` the few lines a chat message shows;
    ``payload`` the JSON body of a generic webhook; ``link`` the dashboard view, if known.
    """

    subject: str
    text: str
    lines: list[str]
    payload: dict[str, Any]
    html: str | None = None
    images: list[RenderedChart] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    link: str | None = None
