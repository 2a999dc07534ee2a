"""``/metrics``: the Prometheus metrics (``kn_crawl.metrics``) of the database this app reads."""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kn_crawl.metrics import registry_for

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    registry = current_app.extensions.get("kn_metrics")
    if registry is None:
        registry = current_app.extensions["kn_metrics"] = registry_for(
            current_app.config["KN_ENGINE"]
        )
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
