"""Mail backends: ``log`` (the default: writes each message to the log), ``smtp``, ``memory``."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailMessage:
    to: str
    subject: str
    body: str


class MailError(Exception):
    """The backend could not hand the message over; delivery is retried later."""


class Mailer(Protocol):
    def send(self, message: MailMessage) -> None: ...


class LogMailer:
    """Writes the message to the log: a one-process install needs no mail server to run."""

    def send(self, message: MailMessage) -> None:
        log.info("mail to %s: %s\n%s", message.to, message.subject, message.body)


@dataclass
class MemoryMailer:
    """Keeps sent messages in ``outbox`` (tests); ``fail_next`` makes the next sends fail."""

    outbox: list[MailMessage] = field(default_factory=list)
    fail_next: int = 0

    def send(self, message: MailMessage) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise MailError("the memory mailer was told to fail")
        self.outbox.append(message)


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    sender: str
    user: str = ""
    password: str = ""
    starttls: bool = True
    timeout: float = 20.0

    def send(self, message: MailMessage) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as error:
            raise MailError(f"SMTP {self.host}:{self.port}: {error}") from error


def build_mailer(config: Mapping[str, Any]) -> Mailer:
    """The backend that ``MAIL_BACKEND`` names, configured from the ``SMTP_*`` settings."""
    backend = config.get("MAIL_BACKEND", "log")
    if backend == "smtp":
        return SmtpMailer(host=config["SMTP_HOST"], port=int(config["SMTP_PORT"]),
                          sender=config["SMTP_FROM"], user=config.get("SMTP_USER", ""),
                          password=config.get("SMTP_PASSWORD", ""),
                          starttls=bool(config.get("SMTP_STARTTLS", True)))
    if backend == "memory":
        return MemoryMailer()
    return LogMailer()
