"""The API's documentation pages, /docs (Swagger UI) and /redoc (ReDoc), in
place of FastAPI's own: those load their scripts from a public CDN, unpinned,
and show a blank page on an intranet without internet. These load everything
from the service (app.web.aset) and have no inline script, so the pages'
Content-Security-Policy allows nothing but the service's own origin."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.http.headers import content_security_policy
from app.web.render import ENV

router = APIRouter(include_in_schema=False)

# The stylesheet of ReDoc's scrollbars, which its bundle writes into a <style>
# element as it loads, before ReDoc can hand it the nonce: the element is
# created empty, then filled. Both hashes are fixed by the pinned fastapi-offline
# (ReDoc 2.5.3); the browser test fails on a CSP violation if a new one changes them.
_REDOC_STYLE_HASHES = (
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
)


def _page(request: Request, *, swagger: bool, nonce: str = "", **policy: str) -> HTMLResponse:
    app = request.app
    html = ENV.get_template("docs.html").render(
        judul=f"{app.title} · dokumentasi API",
        openapi_url=app.openapi_url,
        swagger=swagger,
        nonce=nonce,
    )
    # Both UIs draw their icons from data: images in their stylesheets.
    csp = content_security_policy(img_src="data:", **policy)
    return HTMLResponse(html, headers={"Content-Security-Policy": csp})


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    return _page(request, swagger=True)


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    # ReDoc writes its styles at run time: those <style> elements, and nothing
    # else inline, are let in by a nonce new with every answer. Its search runs
    # in a worker it makes from a blob: of its own (same origin by construction).
    nonce = secrets.token_urlsafe(18)
    return _page(
        request,
        swagger=False,
        nonce=nonce,
        style_src=" ".join((f"'nonce-{nonce}'", *_REDOC_STYLE_HASHES)),
        worker_src="blob:",
    )
