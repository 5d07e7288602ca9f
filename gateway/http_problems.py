"""A failed connection to a shop in plain words, with what to fix.

aiohttp says what went wrong in its own terms ("Cannot connect to host shop.example.se:443
ssl:default [[SSL: WRONG_VERSION_NUMBER] wrong version number]"); the operator needs to know
that the shop speaks plain HTTP and its URL should start with ``http://``. Adapters use
:func:`describe` when a request to their shop fails, so the event log and the connection test
say the same.
"""

from __future__ import annotations

import errno

import aiohttp
import yarl


def _address(url: yarl.URL) -> str:
    return f"{url.host}:{url.port}" if url.port else str(url.host)


def describe(exc: aiohttp.ClientError, url: str | yarl.URL, *, with_text: bool = True) -> str:
    """What went wrong reaching ``url``, and what to do about it, in words made from the URL's
    scheme, host and port alone. An error this does not know is named by its kind, followed by
    aiohttp's text only ``with_text`` (that text can hold the whole URL with its query)."""
    url = yarl.URL(url) if isinstance(url, str) else url
    kind = type(exc).__name__
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return (f"the certificate of {url.host} is not trusted ({exc.certificate_error}): give the shop a valid "
                f"TLS certificate")
    if isinstance(exc, aiohttp.ClientConnectorSSLError | aiohttp.ClientSSLError) and url.scheme == "https":
        alternative = url.with_scheme("http").with_port(url.explicit_port) if url.host else url
        return (f"{_address(url)} does not answer HTTPS (the TLS handshake failed: {kind}); if the shop only "
                f"speaks plain HTTP, its URL starts with http:// ({alternative})")
    if isinstance(exc, aiohttp.ServerDisconnectedError) and url.scheme == "http":
        return (f"{_address(url)} closed the connection without answering; if the shop only speaks HTTPS, "
                f"its URL starts with https:// ({url.with_scheme('https').with_port(url.explicit_port)})")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"there is no host called {url.host} (the name does not resolve): check the shop's URL"
    if isinstance(exc, aiohttp.ClientConnectorError):
        if exc.os_error.errno == errno.ECONNREFUSED:
            return (f"nothing answers at {_address(url)} (connection refused): check the URL's host and port, "
                    f"and that the shop's web server runs")
        return f"cannot connect to {_address(url)}: {exc.os_error.strerror or kind}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return f"{_address(url)} closed the connection without answering"
    return f"{kind}: {exc}" if with_text else kind
