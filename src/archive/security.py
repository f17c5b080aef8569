"""Roles, principals, permissions and ACL builders.

Roles: administrator (everything), archivist (creates and edits in the fonds
granted to them), official (reads and downloads in the fonds granted to them),
auditor (reads metadata and reports everywhere, changes nothing, downloads no
file).  A user's principals are ``user:<login>``, ``role:<role>`` and one
``fonds:<code>:<role>`` per granted fonds; resources derive their ``__acl__``
from those names, so a grant is checked wherever a fonds' descendant is.

The request-facing ``SecurityPolicy`` lives in ``archive.views.auth``; this
module is free of web code so that scripts share it.
"""
from pyramid.authorization import (
    ALL_PERMISSIONS,
    Allow,
    Authenticated,
    Deny,
    Everyone,
)

ROLES = ("administrator", "archivist", "official", "auditor")
GRANTED_ROLES = ("archivist", "official")  # roles that need per-fonds grants

# Permissions named by views and API routes.
VIEW = "view"              # metadata of fonds, dossiers, records
DOWNLOAD = "download"      # bytes of stored files
EDIT = "edit"              # change metadata
ADD_DOSSIER = "add-dossier"
ADD_RECORD = "add-record"
CLOSE = "close"
MANAGE = "manage"          # users, fonds, tokens of others
REPORT = "report"          # reports and the journal
HOME = "home"              # any logged-in user: home page, own account
PUBLIC = "public"          # login page, static assets, language switch
DIGITISE = "digitise"      # OCR jobs, text corrections, conversion batches, imports
HOLD = "hold"              # place and release legal holds
PROPOSE_DISPOSAL = "propose-disposal"  # list expired dossiers for destruction
APPROVE_DISPOSAL = "approve-disposal"  # approve / carry out destruction (four-eyes)
TRANSFER = "transfer"      # transfer packages to the historical archive

ARCHIVIST_PERMISSIONS = (VIEW, DOWNLOAD, EDIT, ADD_DOSSIER, ADD_RECORD, CLOSE, DIGITISE,
                         PROPOSE_DISPOSAL, TRANSFER)
OFFICIAL_PERMISSIONS = (VIEW, DOWNLOAD)
CHANGES = (EDIT, ADD_RECORD, CLOSE)
# what a legal hold stops (archive.retention.holds): every change and every disposition
HELD = (EDIT, ADD_RECORD, CLOSE, DIGITISE, PROPOSE_DISPOSAL, APPROVE_DISPOSAL, TRANSFER)


def role_principal(role):
    return "role:" + role


def grant_principal(fonds_code, role):
    return f"fonds:{fonds_code}:{role}"


def principals_for(user):
    """The principals of an active user (without Everyone/Authenticated)."""
    if user is None or not user.active:
        return []
    principals = ["user:" + user.login, role_principal(user.role)]
    if user.role in GRANTED_ROLES:
        principals.extend(grant_principal(code, user.role) for code in user.fonds)
    return principals


def root_acl():
    return [
        (Allow, role_principal("administrator"), ALL_PERMISSIONS),
        (Allow, role_principal("auditor"), (VIEW, REPORT, HOME, HOLD)),
        (Allow, Authenticated, HOME),
        (Allow, Everyone, PUBLIC),
    ]


def fonds_acl(code):
    return [
        (Allow, grant_principal(code, "archivist"), ARCHIVIST_PERMISSIONS),
        (Allow, grant_principal(code, "official"), OFFICIAL_PERMISSIONS),
    ]


def dossier_acl(fonds_code, access, closed, held=False):
    """Closed dossiers refuse every change to everyone, administrators included;
    held dossiers (legal hold) also refuse disposal and transfer; classified
    (access 03) dossiers are hidden from officials."""
    acl = []
    if held:
        acl.append((Deny, Everyone, HELD))
    if closed:
        acl.append((Deny, Everyone, CHANGES))
    if access == "03":
        acl.append((Deny, grant_principal(fonds_code, "official"), (VIEW, DOWNLOAD)))
    return acl
