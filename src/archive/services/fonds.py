"""Creating fonds."""
from ..errors import DuplicateCode
from ..events import FondsCreated
from ..i18n import _
from ..resources import Fonds


def create_fonds(root, registry, actor, code, name, organ_id, synthetic=False):
    """Add a fonds keyed by ``code``; ``synthetic`` marks sample data.
    Raises DuplicateCode."""
    container = root["fonds"]
    if code in container:
        raise DuplicateCode(fields={"code": _("Phông có mã này đã tồn tại.")})
    fonds = Fonds(code=code, name=name, organ_id=organ_id)
    fonds.synthetic = synthetic
    container.add(code, fonds)
    registry.notify(FondsCreated(fonds, actor))
    return fonds


def visible_fonds(root, can_view):
    return [f for f in root["fonds"].values() if can_view(f)]
