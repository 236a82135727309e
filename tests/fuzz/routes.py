"""Every route of the app and every input it reads, found from the router (not
listed by hand): path and query parameters, JSON body fields from the body
model, form fields from the form model (app.web.forms.Form)."""

from __future__ import annotations

import types
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from fastapi import FastAPI, params
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel

from app.web.forms import Form, form_fields

Place = Literal["path", "query", "body", "form"]
Kind = Literal["text", "integer", "closed"]


@dataclass(frozen=True)
class Input:
    """One input of one route: where it is read, its name and declared type."""

    method: str
    route: RouteContext
    place: Place
    name: str
    annotation: Any
    metadata: tuple[Any, ...]
    required: bool
    is_list: bool = False

    def __str__(self) -> str:
        return f"{self.method} {self.route.path} {self.place}:{self.name}"

    @property
    def leaves(self) -> list[tuple[Any, tuple[Any, ...]]]:
        """Each type the input may take, with the metadata that applies to it."""
        return list(_leaves(self.annotation, self.metadata))

    @property
    def kind(self) -> Kind:
        bases = {base for base, _ in self.leaves}
        if bases == {str}:
            return "text"
        if bases == {int}:
            return "integer"
        return "closed"  # enums, literals, booleans: a fixed set of values

    def rule(self, kind: type[Any]) -> Any:
        """The first metadata of this type on the input, or None."""
        return next((m for _, meta in self.leaves for m in meta if isinstance(m, kind)), None)


def _leaves(annotation: Any, metadata: tuple[Any, ...]) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        yield from _leaves(base, (*metadata, *extra))
    elif origin in (Union, types.UnionType):
        for arm in get_args(annotation):
            if arm is not type(None):
                yield from _leaves(arm, metadata)
    elif origin is list:
        yield from _leaves(get_args(annotation)[0], metadata)
    elif origin is Literal or (isinstance(annotation, type) and issubclass(annotation, Enum)):
        yield Enum, metadata
    else:
        yield annotation, metadata


def _is_list(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _is_list(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return any(_is_list(arm) for arm in get_args(annotation))
    return origin is list


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def routes(app: FastAPI) -> Iterator[RouteContext]:
    """The app's own routes (the framework's documentation pages read no input)."""
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute):
            yield route


def _model_inputs(
    method: str, route: RouteContext, place: Place, model: type[BaseModel]
) -> Iterator[Input]:
    for name, field in model.model_fields.items():
        yield Input(
            method,
            route,
            place,
            field.alias or name,
            field.annotation,
            tuple(field.metadata),
            field.is_required(),
            _is_list(field.annotation),
        )


def inputs_of(app: FastAPI) -> Iterator[Input]:
    """Every path, query, JSON body and form field of every route."""
    for route in routes(app):
        for method in sorted((route.methods or set()) - {"HEAD", "OPTIONS"}):
            for field in get_flat_params(route.dependant):
                info = field.field_info
                if isinstance(info, params.Path | params.Query):
                    yield Input(
                        method,
                        route,
                        "path" if isinstance(info, params.Path) else "query",
                        field.alias,
                        info.annotation,
                        tuple(info.metadata),
                        info.is_required(),
                        _is_list(info.annotation),
                    )
            for dependant in _dependants(route.dependant):
                for field in dependant.body_params:
                    for base, _ in _leaves(field.field_info.annotation, ()):
                        if isinstance(base, type) and issubclass(base, BaseModel):
                            yield from _model_inputs(method, route, "body", base)
                if isinstance(dependant.call, Form):
                    yield from _model_inputs(method, route, "form", dependant.call.model)


def raw_form_readers(app: FastAPI) -> list[str]:
    """Routes that read a form without declaring its fields in a model."""
    return [
        f"{sorted(route.methods or ())} {route.path}"
        for route in routes(app)
        if any(d.call is form_fields for d in _dependants(route.dependant))
    ]
