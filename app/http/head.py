"""HEAD wherever GET is allowed.

FastAPI's routes answer only the methods they declare, so HEAD got a 405 where
GET worked. This pure ASGI middleware, inside the guard (which checks HEAD as
GET: app.access.policy), runs a HEAD request as the GET it stands for and sends
the status and headers without the body. Once the headers are out it tells the
route the client has gone, so a streamed export stops instead of being made
for nobody."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Set in the scope of a HEAD request run as GET, for an error to name the method.
WAS_HEAD = "sinkron.head"


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        done = False

        async def headers_only(message: Message) -> None:
            nonlocal done
            if done:
                return
            if message["type"] == "http.response.start":
                await send(message)
                return
            # The first piece of the body (or a file to send) ends the answer.
            done = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        async def until_answered() -> Message:
            if done:
                return {"type": "http.disconnect"}
            return await receive()

        await self.app({**scope, "method": "GET", WAS_HEAD: True}, until_answered, headers_only)
