"""``/metrics``: the Prometheus metrics (``kn_crawl.metrics``) of the database this app reads."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from prometheus_client.exposition import choose_encoder

from kn_crawl.metrics import registry_for

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    registry = current_app.extensions.get("kn_metrics")
    if registry is None:
        registry = current_app.extensions["kn_metrics"] = registry_for(
            current_app.config["KN_ENGINE"]
        )
    # The format the scraper asks for in Accept (text 0.0.4 without one), as the scheduler's
    # metrics server (prometheus_client's own WSGI app) answers too.
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encode(registry), content_type=content_type)
