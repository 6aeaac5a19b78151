"""SMS gateways, chosen by SMS_BACKEND. A backend is a small class with `send(to, text,
reference)`; another gateway is one more class here and one line in BACKENDS.

Unset: texts stay in the outbox, visible at /outbox/ (as mail does without MAIL_SERVER).
"gatewayapi": an HTTP POST of JSON to SMS_API_URL with SMS_API_TOKEN, in the shape of
GatewayAPI (a Nordic gateway): {"sender", "message", "recipients": [{"msisdn"}], "userref"}.
"""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

TIMEOUT = 10  # seconds: a gateway that hangs must not hang the sender


class SmsError(Exception):
    """A text was not sent. `permanent`: retrying will not help (the gateway refused it)."""

    def __init__(self, description: str, *, permanent: bool):
        super().__init__(description)
        self.permanent = permanent


@dataclass(frozen=True)
class GatewayApi:
    url: str
    token: str
    sender: str

    def __post_init__(self):
        if not self.url.startswith(("https://", "http://")):
            raise ValueError("SMS_API_URL must be an http(s) URL")

    def send(self, to: str, text: str, reference: str) -> None:
        body = {
            "sender": self.sender,
            "message": text,
            "recipients": [{"msisdn": int(to.lstrip("+"))}],
            "userref": reference,
        }
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
            self.url,
            data=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Token {self.token}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as error:  # the token is never part of the description
            detail = error.read(300).decode("utf-8", "replace")
            raise SmsError(f"gateway {error.code}: {detail}", permanent=error.code < 500) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise SmsError(f"gateway unreachable: {reason!r}", permanent=False) from None

    def __repr__(self) -> str:  # keep the token out of logs and tracebacks
        return f"GatewayApi(url={self.url!r}, sender={self.sender!r})"


BACKENDS = {"gatewayapi": GatewayApi}


def backend_from(config) -> GatewayApi | None:
    """The configured gateway, or None: texts then stay in the outbox."""
    name = (config.get("SMS_BACKEND") or "").strip().lower()
    if not name:
        return None
    if name not in BACKENDS:
        raise ValueError(f"SMS_BACKEND={name!r}: choose one of {', '.join(BACKENDS)}")
    return BACKENDS[name](
        url=config["SMS_API_URL"],
        token=config.get("SMS_API_TOKEN", ""),
        sender=config.get("SMS_SENDER", "Eventsapp"),
    )
