"""Persistent base classes: a BTree folder and stable ids."""
import datetime
import uuid

from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from persistent import Persistent


def new_id():
    """A stable, opaque id: survives moves, used by the index, the journal and the API."""
    return uuid.uuid4().hex


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class Folder(Persistent):
    """A container keeping its children in an OOBTree with a conflict-free Length.

    Only the container adds and removes children; it sets ``__name__`` and
    ``__parent__`` and registers the child's stable id in the root's object map.
    Inserts of different keys into an OOBTree and Length increments resolve
    their conflicts, so concurrent additions to one folder do not collide.
    """

    __name__ = None
    __parent__ = None

    def __init__(self):
        self.data = OOBTree()
        self._num = Length()

    def __getitem__(self, name):
        return self.data[name]

    def get(self, name, default=None):
        return self.data.get(name, default)

    def __contains__(self, name):
        return name in self.data

    def __iter__(self):
        return iter(self.data.keys())

    def keys(self, min=None, max=None):
        return self.data.keys(min, max)

    def values(self):
        return self.data.values()

    def items(self):
        return self.data.items()

    def __len__(self):
        return self._num()

    def __bool__(self):
        return True

    def add(self, name, obj):
        if name in self.data:
            raise KeyError(name)
        obj.__name__ = name
        obj.__parent__ = self
        self.data[name] = obj
        self._num.change(1)
        root = find_archive_root(self)
        oid = getattr(obj, "id", None)
        if root is not None and oid:
            root.objectmap[oid] = obj
        return obj

    def remove(self, name):
        obj = self.data.pop(name)
        self._num.change(-1)
        root = find_archive_root(self)
        oid = getattr(obj, "id", None)
        if root is not None and oid:
            root.objectmap.pop(oid, None)
        obj.__parent__ = None
        return obj


def find_archive_root(resource):
    while resource is not None:
        if getattr(resource, "is_archive_root", False):
            return resource
        resource = getattr(resource, "__parent__", None)
    return None


def find_parent(resource, cls):
    while resource is not None:
        if isinstance(resource, cls):
            return resource
        resource = getattr(resource, "__parent__", None)
    return None
