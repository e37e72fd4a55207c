"""E-mail over SMTP: an HTML part with its charts as inline (``cid:``) images, a plain part.

The structure mail clients expect::

    multipart/mixed                (only when a PDF is attached)
      multipart/alternative
        text/plain                 the same report as aligned text
        multipart/related
          text/html                <img src="cid:trend-1">
          image/png                Content-ID: <trend-1>
      application/pdf

The password is read from the environment variable the config names (``password_env``) at
send time, so it is never in the file and never in a log line.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from supportkpi.config.reporting import EmailSettings
from supportkpi.delivery.message import Message
from supportkpi.delivery.retry import Permanent, with_retries
from supportkpi.errors import ConfigError


def build_email(settings: EmailSettings, to: str, message: Message) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = settings.sender
    mail["To"] = to
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    mail.set_content(message.text)
    if message.html is not None:
        mail.add_alternative(message.html, subtype="html")
        html_part = mail.get_body(preferencelist=("html",))
        assert html_part is not None  # just added
        for chart in message.images:
            html_part.add_related(
                chart.png,
                maintype="image",
                subtype="png",
                cid=f"<{chart.cid}>",
                filename=f"{chart.cid}.png",
                disposition="inline",
            )
    for file in message.attachments:
        maintype, _, subtype = file.mime.partition("/")
        mail.add_attachment(
            file.content, maintype=maintype, subtype=subtype, filename=file.filename
        )
    return mail


def send_email(
    settings: EmailSettings,
    to: str,
    message: Message,
    attempts: int = 3,
    backoff_s: float = 1.0,
    env: Mapping[str, str] = os.environ,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Send ``message`` to ``to``; raise one DeliveryError line when every attempt failed."""
    password = None
    if settings.user:
        name = settings.password_env or ""
        password = env.get(name)
        if not password:
            raise ConfigError(f"delivery.email: the environment variable {name} is not set")
    mail = build_email(settings, to, message)

    def attempt() -> None:
        try:
            with _connect(settings) as smtp:
                if settings.user and password:
                    smtp.login(settings.user, password)
                smtp.send_message(mail)
        except smtplib.SMTPAuthenticationError as exc:
            raise Permanent(f"the server refused the login of {settings.user}: {exc}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise Permanent(f"the server refused the recipient {to}") from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:  # 5xx is final; 4xx ("try again later") is retried
                raise Permanent(f"the server answered {exc.smtp_code} {exc.smtp_error!r}") from exc
            raise

    with_retries(
        attempt, f"e-mail to {to} via {settings.host}:{settings.port}", attempts, backoff_s, sleep
    )


def _connect(settings: EmailSettings) -> smtplib.SMTP:
    if settings.security == "ssl":
        return smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            timeout=settings.timeout_s,
            context=ssl.create_default_context(),
        )
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
    if settings.security == "starttls":
        try:
            smtp.starttls(context=ssl.create_default_context())
        except BaseException:
            smtp.close()
            raise
    return smtp
