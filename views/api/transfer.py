"""JSON API of transfers to the historical archive: queue the export of a
bag of the fonds' dossiers due (a ``transfer.export`` job, like the web
action: 202 with the job; the transfer exists once the job is done), record
the receipt, cancel, read.  Documented in ``openapi.d/transfer.json``."""
import colander
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from pyramid.view import view_config

from archive import security as perm
from archive.db import archive_root
from archive.i18n import _
from archive.schemas import deserialize
from archive.schemas.types import Text, length
from archive.transfer import service
from archive.transfer.resources import Transfer

from ..helpers import actor_of
from ..transfer import queue_export
from .factories import fonds_factory, root_factory
from .views import json_body

REQUIRED = _("Bắt buộc nhập.")


def transfer_factory(request):
    transfers = archive_root(request).get("transfers")
    transfer = transfers.get(request.matchdict["id"]) if transfers is not None else None
    if not isinstance(transfer, Transfer):
        raise HTTPNotFound()
    return transfer


class TransferRequestSchema(colander.MappingSchema):
    dossiers = colander.SchemaNode(colander.List(), missing=())
    year = colander.SchemaNode(colander.Integer(), missing=None)


class ReceiptRequestSchema(colander.MappingSchema):
    receipt_number = colander.SchemaNode(Text(), validator=length(100), missing_msg=REQUIRED)
    receipt_date = colander.SchemaNode(Text(), validator=length(10), missing_msg=REQUIRED)


class CancelRequestSchema(colander.MappingSchema):
    reason = colander.SchemaNode(Text(), validator=length(1000, 1), missing_msg=REQUIRED)


def transfer_json(transfer):
    def iso(value):
        return value.isoformat() if value is not None and hasattr(value, "isoformat") else value

    return {"id": transfer.id, "number": transfer.number, "fonds": transfer.fonds_code,
            "state": transfer.state, "created": iso(transfer.created),
            "created_by": transfer.created_by, "bag_name": transfer.bag_name,
            "payload_oxum": transfer.payload_oxum, "file_total": transfer.file_total,
            "byte_total": transfer.byte_total,
            "dossiers": [{"id": d["id"], "file_code": d["file_code"], "title": d["title"],
                          "doc_total": d["doc_total"], "files": d["files"]}
                         for d in transfer.dossiers],
            "receipt_number": transfer.receipt_number or None,
            "receipt_date": transfer.receipt_date, "received_at": iso(transfer.received_at),
            "received_by": transfer.received_by, "cancel_reason": transfer.cancel_reason or None}


@view_config(route_name="api.transfers", request_method="GET", renderer="json",
             permission=perm.HOME)
def list_transfers(context, request):
    return {"transfers": [transfer_json(t) for t in service.list_transfers(context)
                          if request.has_permission(perm.VIEW, t)]}


@view_config(route_name="api.fonds.transfers", request_method="POST", renderer="json",
             permission=perm.TRANSFER)
def create_transfer(context, request):
    """Dossiers are named by id or file code; none named: every dossier of
    the fonds due now (``year``: whose deadline year is ``year``)."""
    data = deserialize(TransferRequestSchema(), json_body(request))
    root = archive_root(request)
    ids = [context.file_codes.get(key, key) if isinstance(key, str) else str(key)
           for key in data["dossiers"]]
    dossiers = service.select_due(root, context.code, data["year"], ids or None)
    for dossier in dossiers:
        if not request.has_permission(perm.TRANSFER, dossier):
            raise HTTPForbidden()
    job = queue_export(request, dossiers)
    payload = job.payload
    status_url = request.route_url("api.job", id=job.id)
    request.response.status_int = 202
    request.response.headers["Location"] = status_url
    return {"job_id": job.id, "state": job.state, "status_url": status_url,
            "fonds": context.code, "number": payload["number"],
            "transfer_id": payload["transfer_id"],
            "transfer_url": request.route_url("api.transfer", id=payload["transfer_id"]),
            "dossiers": [{"id": oid, "file_code": code}
                         for oid, code in zip(payload["dossiers"], payload["codes"])]}


@view_config(route_name="api.transfer", request_method="GET", renderer="json",
             permission=perm.VIEW)
def get_transfer(context, request):
    return transfer_json(context)


@view_config(route_name="api.transfer.receipt", request_method="POST", renderer="json",
             permission=perm.TRANSFER)
def record_receipt(context, request):
    data = deserialize(ReceiptRequestSchema(), json_body(request))
    service.record_receipt(context, request.registry, actor_of(request), data["receipt_number"],
                           data["receipt_date"])
    return transfer_json(context)


@view_config(route_name="api.transfer.cancel", request_method="POST", renderer="json",
             permission=perm.TRANSFER)
def cancel(context, request):
    data = deserialize(CancelRequestSchema(), json_body(request))
    service.cancel_transfer(context, request.registry, actor_of(request), data["reason"])
    return transfer_json(context)


TRANSFER_ROUTES = (
    ("api.transfers", "/api/v1/transfers", root_factory),
    ("api.fonds.transfers", "/api/v1/fonds/{code}/transfers", fonds_factory),
    ("api.transfer", "/api/v1/transfers/{id}", transfer_factory),
    ("api.transfer.receipt", "/api/v1/transfers/{id}/receipt", transfer_factory),
    ("api.transfer.cancel", "/api/v1/transfers/{id}/cancel", transfer_factory),
)
