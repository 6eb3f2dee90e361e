"""Long-connection mode (`FEISHU_MODE=ws`): events arrive over lark-oapi's WebSocket client, no public URL needed."""

from __future__ import annotations

import asyncio
import logging
import threading

import lark_oapi as lark
import lark_oapi.ws.client as ws_client

log = logging.getLogger(__name__)


class LongConnection:
    """Runs one `lark.ws.Client` on a background thread with its own event loop.

    lark-oapi 1.7 drives every ws.Client through a module-level event loop created at import;
    the thread installs a fresh loop there before starting (one long connection per process),
    and `stop` turns reconnection off, closes the socket and stops that loop. ws.Client has no
    public way to stop, so `stop` uses two private attributes: pyproject.toml pins lark-oapi to
    the minor this is tested with.
    """

    def __init__(self, app_id: str, app_secret: str, domain: str, dispatcher: lark.EventDispatcherHandler) -> None:
        self._app_id = app_id
        self._app_secret = app_secret
        self._domain = domain.rstrip("/")
        self._dispatcher = dispatcher
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: lark.ws.Client | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feishu-long-connection", daemon=True)

    def start(self) -> None:
        """Connect in the background; reconnects on its own until `stop`."""
        self._thread.start()
        self._ready.wait(5)
        log.info("feishu long connection starting", extra={"domain": self._domain})

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        ws_client.loop = loop
        self._loop = loop
        self._client = lark.ws.Client(self._app_id, self._app_secret, event_handler=self._dispatcher,
                                      domain=self._domain, log_level=lark.LogLevel.WARNING)
        self._ready.set()
        try:
            self._client.start()
        except RuntimeError:
            pass  # the loop was stopped by `stop`
        except Exception:  # a refused connection (bad credentials) ends the thread; say why
            log.exception("feishu long connection ended")
        finally:
            # Cancel what lark-oapi left scheduled (ping loop, cache sweeper) so nothing later
            # touches a closed loop.
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Close the connection and end the background thread."""
        loop, client = self._loop, self._client
        if loop is None or client is None or loop.is_closed():
            return
        client._auto_reconnect = False
        try:
            asyncio.run_coroutine_threadsafe(client._disconnect(), loop).result(timeout)
        except Exception as exc:  # closing is best effort; the loop stops regardless
            log.warning("feishu long connection close failed", extra={"error": type(exc).__name__})
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout)
        log.info("feishu long connection stopped")
