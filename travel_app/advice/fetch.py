"""Fetching a source's feed over HTTP: timeouts, retries with backoff, conditional requests and a
size limit, with requests and urllib3's ``Retry`` (no hand-written retry loop).

Nothing here touches the database: a fetch either returns the bytes (or "not modified") or
raises :class:`FetchError` with a sentence a safety officer can read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, ReadTimeoutError
from urllib3.util.retry import Retry

USER_AGENT = "SafePassage/1 (university travel safety; +https://github.com/)"
CHUNK = 64 * 1024


class FetchError(Exception):
    """A source could not be read: timeout, refusal, error status, oversize or cut-off body."""


@dataclass
class Validators:
    """What a server gave to recognise its answer again (sent back as a conditional request)."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Fetcher:
    """One source run's HTTP client; ``get`` fits the adapters' ``Get``.

    Only ``conditional_url`` (the source's own address) is asked conditionally; the validators
    of its answer are kept in ``answered`` so the run can store them once it has succeeded.
    """

    timeout: float
    retries: int
    backoff: float
    max_bytes: int
    conditional_url: str | None = None
    sent: Validators = field(default_factory=Validators)
    answered: Validators = field(default_factory=Validators)
    requests_made: int = 0
    _session: requests.Session | None = None

    def _http(self) -> requests.Session:
        if self._session is None:
            retry = Retry(
                total=self.retries,
                connect=self.retries,
                read=self.retries,
                status=self.retries,
                backoff_factor=self.backoff,
                status_forcelist=(429, 500, 502, 503, 504),
                allowed_methods=frozenset({"GET"}),
                respect_retry_after_header=True,
                raise_on_status=False,
            )
            session = requests.Session()
            session.mount("http://", HTTPAdapter(max_retries=retry))
            session.mount("https://", HTTPAdapter(max_retries=retry))
            session.headers["User-Agent"] = USER_AGENT
            self._session = session
        return self._session

    def close(self) -> None:
        """Release the connections."""
        if self._session is not None:
            self._session.close()

    def get(self, url: str) -> bytes | None:
        """The body at ``url``; None when the source's own URL answers 304 Not Modified."""
        if url.startswith("file://"):
            return read_file(Path(url.removeprefix("file://")), self.max_bytes)
        headers = {"Accept": "application/json, text/csv;q=0.9, */*;q=0.5"}
        conditional = url == self.conditional_url
        if conditional and self.sent.etag:
            headers["If-None-Match"] = self.sent.etag
        if conditional and self.sent.last_modified:
            headers["If-Modified-Since"] = self.sent.last_modified
        self.requests_made += 1
        try:
            with self._http().get(
                url, headers=headers, timeout=self.timeout, stream=True, allow_redirects=True
            ) as response:
                if response.status_code == 304 and conditional:
                    self.answered = self.sent
                    return None
                if response.status_code >= 400:
                    raise FetchError(f"{url} answered HTTP {response.status_code}")
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(f"{url} is larger than the limit of {self.max_bytes} bytes")
                body = bytearray()
                for chunk in response.iter_content(CHUNK):
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise FetchError(
                            f"{url} is larger than the limit of {self.max_bytes} bytes"
                        )
                if conditional:
                    self.answered = Validators(
                        response.headers.get("ETag"), response.headers.get("Last-Modified")
                    )
                return bytes(body)
        except requests.exceptions.Timeout as e:
            raise FetchError(f"{url} did not answer within {self.timeout:g} seconds") from e
        except requests.exceptions.RetryError as e:
            raise FetchError(f"{url} kept failing after {self.retries} retries: {e}") from e
        except requests.exceptions.ChunkedEncodingError as e:
            raise FetchError(f"{url} sent a body cut off before its end") from e
        except requests.exceptions.RequestException as e:
            # Retries exhausted on read timeouts come back wrapped as a connection error.
            reason = getattr(e.args[0] if e.args else None, "reason", None)
            if isinstance(reason, TimeoutError | ReadTimeoutError | ConnectTimeoutError):
                raise FetchError(f"{url} did not answer within {self.timeout:g} seconds") from e
            raise FetchError(f"{url} could not be reached: {e.__class__.__name__}") from e


def read_file(path: Path, max_bytes: int) -> bytes:
    """A feed saved as a file (the CLI's ``--file``), within the same size limit."""
    try:
        if path.stat().st_size > max_bytes:
            raise FetchError(f"{path} is larger than the limit of {max_bytes} bytes")
        return path.read_bytes()
    except OSError as e:
        raise FetchError(f"{path} cannot be read: {e.strerror}") from e
