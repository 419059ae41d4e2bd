"""Transports for `FakeBotApi`: a loopback HTTP server and an in-process `BaseRequest`."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web
from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from .botapi import FakeBotApi, decode_params


class FakeBotServer:
    """Serves a FakeBotApi over real HTTP on 127.0.0.1 at a random port."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """The value for `ApplicationBuilder().base_url()` / SCAMGUARD_API_URL."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> FakeBotServer:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _serve(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.api.token:
            body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return web.json_response(body, status=401)
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            raw.update(await request.json())
            params = raw
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = value.file.read()
                else:
                    raw[key] = value
            params = decode_params(raw)
        status, body = await self.api.handle(request.match_info["method"], params, files)
        return web.json_response(body, status=status)


class FakeRequest(BaseRequest):
    """An in-process BaseRequest that answers from a FakeBotApi without any socket."""

    def __init__(self, api: FakeBotApi, read_timeout: float | None = 5.0) -> None:
        self.api = api
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request_data is not None:
            params = json.loads(json.dumps(request_data.parameters))
            for name, field_tuple in request_data.multipart_data.items():
                content = field_tuple[1]
                files[name] = content if isinstance(content, bytes) else content.read()
        timeout = read_timeout if isinstance(read_timeout, int | float) else self._read_timeout
        if api_method == "getUpdates" and isinstance(timeout, int | float):
            timeout += float(params.get("timeout") or 0)
        try:
            status, body = await asyncio.wait_for(
                self.api.handle(api_method, params, files), timeout
            )
        except TimeoutError as exc:
            raise TimedOut(f"{api_method} timed out") from exc
        return status, json.dumps(body).encode()
