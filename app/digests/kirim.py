"""How a digest leaves: an e-mail by SMTP (text and HTML, multipart/alternative)
and, when configured, its JSON to a webhook. Nothing else; what to send and when
is decided in :mod:`app.digests.layanan`."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import httpx

from app.config import Settings

TIMEOUT_SECONDS = 30.0
# The port of SMTP over TLS from the first byte (RFC 8314); others use STARTTLS if asked.
SMTPS_PORT = 465


class GagalKirim(Exception):
    """The digest did not go out; the message says why, in Indonesian."""


def pesan(
    settings: Settings, *, penerima: Sequence[str], subjek: str, teks: str, html: str
) -> EmailMessage:
    """The e-mail: plain text first, HTML as the alternative."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(penerima)
    message["Subject"] = subjek
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="sinkron")
    message.set_content(teks)
    message.add_alternative(html, subtype="html")
    return message


def smtp(settings: Settings, message: EmailMessage) -> None:
    """Send by SMTP; GagalKirim when the server cannot be reached or refuses."""
    host, port = settings.smtp_host, settings.smtp_port
    try:
        if port == SMTPS_PORT:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
        with client:
            if settings.smtp_starttls and port != SMTPS_PORT:
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                password = settings.smtp_password
                client.login(settings.smtp_user, password.get_secret_value() if password else "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise GagalKirim(f"server SMTP {host}:{port} tidak dapat dipakai: {exc}") from exc


def webhook(settings: Settings, data: dict[str, Any]) -> None:
    """POST the digest's JSON; GagalKirim unless the answer is 2xx."""
    try:
        answer = httpx.post(settings.webhook_url, json=data, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        raise GagalKirim(f"webhook {settings.webhook_url} tidak dapat dihubungi: {exc}") from exc
    if not answer.is_success:
        raise GagalKirim(f"webhook {settings.webhook_url} menjawab {answer.status_code}")
