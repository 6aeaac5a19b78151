"""gunicorn's access log without the secrets in URLs.

A manage link (/enrolments/<token>, its short form /e/<token>) and a password link
(/reset-password/<token>) open a person's data; an access log that keeps them is a key store.
Run gunicorn with `--logger-class eventsapp.accesslog.TokenFreeLogger` (docs/deployment.md):
the request line, the path and the referrer are logged with each token cut to "…".
"""

import re

from gunicorn.glogging import Logger

SECRET_PATHS = re.compile(r"(/(?:enrolments|e|reset-password|feedback)/)(?!resend\b)[^/?#\s\"]+")


def cut_tokens(text: str) -> str:
    """ "/enrolments/abc123/cancel" -> "/enrolments/…/cancel"."""
    return SECRET_PATHS.sub(r"\1…", text) if text else text


class TokenFreeLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = cut_tokens(atoms[key])
        for key in list(atoms):
            if key.startswith("{") and key.endswith("}i") and "referer" in key.lower():
                atoms[key] = cut_tokens(str(atoms[key]))
        return atoms
