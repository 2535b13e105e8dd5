"""The OpenAPI description of a multipart audio upload (``POST /api/analyze``, ``POST /api/master``).

The body is parsed by hand (``api.uploads``, streamed to disk), so FastAPI cannot infer its
form: each route declares it with :func:`upload_form`, which adds the audio ``file`` every
upload carries to the route's own fields.
"""

from __future__ import annotations

from typing import Any

from amt.analysis.decode import FORMATS_READ
from amt.api.services.recommend.model import Stage

GENRE_FIELD: dict[str, Any] = {"type": "string", "description": "Genre for targets (see /api/genres)"}
STAGE_FIELD: dict[str, Any] = {"type": "string", "enum": [stage.value for stage in Stage]}


def upload_form(**fields: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` for a route taking a multipart upload: the required audio ``file`` (any format the decoder
    reads, recognised by its bytes) and ``fields``, form field name → JSON schema."""
    audio = {"type": "string", "format": "binary", "description": f"An audio file: {FORMATS_READ}"}
    schema = {"type": "object", "required": ["file"], "properties": {"file": audio, **fields}}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}
