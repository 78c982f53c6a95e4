"""The connections an API's calls go over: one pool per server, TLS settings per process."""

from __future__ import annotations

import functools
import ssl
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx2


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings of every API connection in the process: httpx2's defaults (the
    system's trusted CAs, or `SSL_CERT_FILE`), made once. Loading the CAs takes ~19 ms
    (Debian's 146 certificates), which each pool would repeat on its first request, on the
    event loop."""
    return httpx2.create_ssl_context()


def connection_pool(timeout: float, tls: ssl.SSLContext) -> httpx2.AsyncClient:
    """A server's pool of connections to its API, which every call (and, over HTTP, every
    MCP client) shares."""
    return httpx2.AsyncClient(
        timeout=timeout,
        verify=tls,
        # Redirects are followed by `HttpClient._exchange`, within the API's origin only.
        follow_redirects=False,
        # A cookie one answer sets must not ride along on another client's requests.
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
    )
