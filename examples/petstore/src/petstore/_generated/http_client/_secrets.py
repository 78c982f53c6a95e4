"""Credentials kept out of logs: every log record is scrubbed of the secrets in use."""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import quote, quote_plus


class _Secrets(logging.Filter):
    """The credentials this process has sent, in every spelling the wire uses, and a logging
    filter that blanks them out of records (their message, arguments and traceback).

    httpx2 logs every request's full URL at INFO (a query-string key with it), httpcore2 the
    response headers at DEBUG (an API may echo the request), botocore's signer the canonical
    request at DEBUG (an AWS session token with it): a record from those loggers, or
    ours, leaves with no secret in it, at any level, whatever handler then writes it. An
    answer that echoes one (a `self` link with the key) is blanked too, but there only secrets
    of `ECHO_MIN` characters or more: a shorter one (a password `admin`) cannot be told from
    the data it would corrupt, and an API key is longer.
    """

    MASK = "[secret]"
    ECHO_MIN = 8
    LOGGERS = (
        "httpx2",
        "httpcore2",
        "httpcore2.connection",
        "httpcore2.http11",
        "httpcore2.http2",
        "httpcore2.proxy",
        "httpcore2.socks",
        "botocore.auth",
        "mcpgen.runtime",
    )

    def __init__(self) -> None:
        super().__init__()
        self._known: set[str] = set()
        self._in_logs: re.Pattern[str] | None = None
        self._in_answers: re.Pattern[str] | None = None

    def add(self, *secrets: str) -> None:
        """Remember secrets (with their percent-, form- and JSON-encoded spellings)."""
        spellings = {
            spelling
            for secret in secrets
            if secret
            for spelling in (
                secret,
                quote(secret, safe=""),
                quote(secret),
                quote_plus(secret),
                json.dumps(secret)[1:-1],
            )
        }
        if not spellings <= self._known:
            self._known |= spellings
            self._in_logs = _alternatives(self._known)
            self._in_answers = _alternatives({s for s in self._known if len(s) >= self.ECHO_MIN})

    def install(self) -> None:
        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            if self not in logger.filters:
                logger.addFilter(self)

    def redact(self, text: str) -> str:
        """An API's answer (text) without the credentials it echoes."""
        return self._in_answers.sub(self.MASK, text) if self._in_answers is not None else text

    def carries(self, text: str) -> bool:
        """Whether `text` holds a credential sent, in any spelling, however short (a query
        item of a URL the API gave back)."""
        return self._in_logs is not None and self._in_logs.search(text) is not None

    def redact_value(self, value: Any) -> Any:
        """An API's answer (JSON) with every string in it (keys too) redacted."""
        if self._in_answers is None:
            return value
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list):
            return [self.redact_value(v) for v in value]
        if isinstance(value, dict):
            return {self.redact(str(k)): self.redact_value(v) for k, v in value.items()}
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        pattern = self._in_logs
        if pattern is None:
            return True
        message = record.getMessage()
        redacted = pattern.sub(self.MASK, message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = pattern.sub(self.MASK, record.exc_text)
        return True


def _alternatives(texts: set[str]) -> re.Pattern[str] | None:
    # Longest first: a spelling that holds another is blanked whole.
    ordered = sorted(texts, key=lambda t: (-len(t), t))
    return re.compile("|".join(map(re.escape, ordered))) if ordered else None


SECRETS = _Secrets()
