"""Read an HTML form post (application/x-www-form-urlencoded) with the standard
library: the pages' forms are a few short fields, so python-multipart (which
FastAPI's ``Form`` needs) would add a dependency for nothing. Each form is a
model whose fields are declared with app.http.inputs, like every other input."""

from __future__ import annotations

from typing import Generic, TypeVar
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from app.web.errors import HalamanGalat

M = TypeVar("M", bound=BaseModel)

MAX_FORM_BYTES = 16 * 1024
_MAX_FIELDS = 20


async def form_fields(request: Request) -> dict[str, str]:
    """The posted fields (the last value wins); a bounded body, UTF-8 only."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HalamanGalat("formulir harus dikirim dari halaman laporan", status_code=415)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HalamanGalat("isi formulir terlalu panjang", status_code=413)
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=_MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise HalamanGalat("isi formulir tidak dapat dibaca") from None
    return dict(pairs)


class Form(Generic[M]):
    """A dependency: the posted form read as ``model`` (fields it does not
    declare are ignored); a refused value is a 400 page naming the field."""

    def __init__(self, model: type[M]) -> None:
        self.model = model

    async def __call__(self, request: Request) -> M:
        fields = await form_fields(request)
        try:
            return self.model.model_validate(fields)
        except ValidationError as exc:
            # Located in the body, as FastAPI locates a form field.
            errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
            raise RequestValidationError(errors) from None
