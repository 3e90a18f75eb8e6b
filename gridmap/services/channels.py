"""Sending one message through its channel: e-mail over SMTP, a group robot's webhook
(WeChat Work and DingTalk take the same text message), an SMS gateway's webhook.

Each send either returns (delivered) or raises :class:`SendError` saying why; the outbox
(``services/notify.py``) retries with backoff.  Timeouts are short: a tick must not hang
on one dead server.
"""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage

from gridmap.settings import Settings

TIMEOUT = 10.0  # seconds per connection


class SendError(Exception):
    """A message was not delivered this time."""


def robot_text(content: str) -> dict:
    """A text message as the WeChat Work and DingTalk group robots take it."""
    return {"msgtype": "text", "text": {"content": content}}


def send(message: dict, settings: Settings) -> None:
    """Deliver one outbox row, or raise :class:`SendError`."""
    channel = message["channel"]
    if channel == "email":
        _mail(message, settings)
    elif channel == "webhook":
        _post(message["address"] or settings.webhook_url, robot_text(message["body"]), "webhook")
    elif channel == "sms":
        _post(settings.sms_url, {"phone": message["address"], **robot_text(message["body"])}, "sms")
    else:
        raise SendError(f"unknown channel {channel!r}")


def _mail(message: dict, settings: Settings) -> None:
    if not settings.smtp:
        raise SendError("no mail server: set GRIDMAP_SMTP (host:port)")
    host, _, port = settings.smtp.rpartition(":")
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = message["address"]
    mail["Subject"] = message["subject"]
    mail.set_content(message["body"])
    try:
        with smtplib.SMTP(host or settings.smtp, int(port or 25), timeout=TIMEOUT) as smtp:
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        raise SendError(f"mail to {message['address']}: {exc}") from exc


def _post(url: str, payload: dict, channel: str) -> None:
    if not url:
        setting = "GRIDMAP_WEBHOOK_URL" if channel == "webhook" else "GRIDMAP_SMS_URL"
        raise SendError(f"no {channel} address: set {setting}")
    if not url.startswith(("http://", "https://")):
        raise SendError(f"{channel} address {url!r}: expected an http(s) URL")
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            body = answer.read(65536)
    except (OSError, urllib.error.URLError) as exc:
        raise SendError(f"{channel} {url}: {exc}") from exc
    try:
        # The robots answer 200 with {"errcode": 0}; anything else in errcode is a refusal.
        found = json.loads(body or b"{}")
    except ValueError:
        return
    if isinstance(found, dict) and found.get("errcode", 0) != 0:
        raise SendError(f"{channel} {url}: {found.get('errmsg') or found['errcode']}")
