"""An httpx transport over aiohttp, for pywa's Graph API calls.

pywa sends through an `httpx.AsyncClient`. httpx's default transport (httpcore) scans its whole connection
pool for every request and every response closed; with a hundred chats being answered at once that scan
was most of the webhook server's event-loop time, and the webhook's response time grew with it (the same
cost the Telegram channel removed with `aiohttp_request.py`). httpx documents custom transports as the
place to plug in another HTTP library; this class only translates between the two, so pywa, httpx's
client API and its exceptions stay as they are.
"""

from __future__ import annotations

import aiohttp
import httpx

# Set by aiohttp itself from the URL and the body.
_LEFT_TO_AIOHTTP = {"host", "content-length", "connection", "transfer-encoding"}


class AiohttpTransport(httpx.AsyncBaseTransport):
    """`httpx.AsyncBaseTransport` on one `aiohttp.ClientSession` (opened at the first request)."""

    def __init__(self, connection_pool_size: int = 32) -> None:
        self._pool_size = connection_pool_size
        self._session: aiohttp.ClientSession | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request; aiohttp's failures become the httpx exceptions callers already handle."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                auto_decompress=False,  # httpx decodes the body from the response headers
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
            )
        limits = request.extensions.get("timeout", {})
        connect, pool, read = limits.get("connect"), limits.get("pool"), limits.get("read")
        timeout = aiohttp.ClientTimeout(
            # aiohttp's `connect` covers waiting for a pooled connection and opening a new one.
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() not in _LEFT_TO_AIOHTTP]
        body = await request.aread()
        try:
            async with self._session.request(
                request.method, str(request.url), headers=headers, data=body or None, timeout=timeout
            ) as response:
                content = await response.read()
                return httpx.Response(
                    response.status, headers=response.raw_headers, content=content, request=request
                )
        except aiohttp.ConnectionTimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc), request=request) from exc
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise httpx.ReadTimeout(str(exc), request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(f"aiohttp.{type(exc).__name__}: {exc}", request=request) from exc

    async def aclose(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
