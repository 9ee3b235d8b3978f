"""Conditional and negotiated representations of a JSON document: a strong ETag of its
canonical JSON (RFC 8785), `If-None-Match` (304) and `Accept` negotiation (406 when no
offered media type is accepted)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import rfc8785
from fastapi import Request, Response
from fastapi.responses import JSONResponse

from app.schemas.common import Problem

ETAG_HEADER = {
    "ETag": {"description": "strong validator of this representation",
             "schema": {"type": "string"}},
}
NOT_MODIFIED = {304: {"description": "Not modified: `If-None-Match` matched the `ETag`"}}
NOT_ACCEPTABLE = {
    406: {"model": Problem,
          "description": "None of the media types of `Accept` is offered"},
}


def document_etag(payload: Any, suffix: str = "") -> str:
    digest = hashlib.sha256(rfc8785.dumps(payload)).hexdigest()[:40]
    return f'"{digest}{suffix}"'


def not_modified(request: Request, etag: str) -> bool:
    """If-None-Match (weak comparison, RFC 9110 13.1.2)."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    return etag in {tag.strip().removeprefix("W/") for tag in header.split(",")}


def unless_modified(request: Request, etag: str) -> Response | None:
    if not_modified(request, etag):
        return Response(status_code=304, headers={"ETag": etag, "Vary": "Accept"})
    return None


def _media_range_quality(accept: str, media_type: str) -> float:
    """The quality `Accept` gives `media_type` (the most specific matching range)."""
    best: tuple[int, float] | None = None
    kind, _, subtype = media_type.partition("/")
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        range_type, _, range_subtype = pieces[0].lower().partition("/")
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if (range_type, range_subtype) == (kind, subtype):
            specificity = 2
        elif range_type == kind and range_subtype == "*":
            specificity = 1
        elif (range_type, range_subtype) == ("*", "*"):
            specificity = 0
        else:
            continue
        if best is None or specificity > best[0]:
            best = (specificity, quality)
    return best[1] if best is not None else 0.0


def negotiate(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type `Accept` prefers (ties: the order offered); None when it
    accepts none. No `Accept` accepts everything."""
    if not accept or not accept.strip():
        return offered[0]
    scored = [(_media_range_quality(accept, m), -i, m) for i, m in enumerate(offered)]
    quality, _, chosen = max(scored)
    return chosen if quality > 0 else None


def json_with_etag(document: Mapping[str, Any], *, status_code: int = 200,
          headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        dict(document), status_code=status_code,
        headers={"ETag": document_etag(document), "Vary": "Accept", **(headers or {})},
    )
