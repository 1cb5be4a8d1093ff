"""CSV downloads: UTF-8 with a BOM so Excel opens accents right."""
from __future__ import annotations

from starlette.responses import Response


def csv_response(text: str, filename: str) -> Response:
    return Response(
        "\ufeff" + text, media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
