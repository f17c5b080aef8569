"""Small request helpers shared by the views."""
from urllib.parse import urlsplit

from archive.events import Actor


def actor_of(request, login=None):
    if login is None:
        user = request.identity
        login = user.login if user is not None else "anonymous"
    return Actor(login, request.client_addr or "")


def safe_next_url(request, url):
    """Only same-site paths are followed after login (no open redirect)."""
    if url:
        parts = urlsplit(url)
        if not parts.scheme and not parts.netloc and url.startswith("/") and not url.startswith("//"):
            return url
    return request.application_url + "/"


def settings_int(request, key, default):
    return int(request.registry.settings.get(key, default))


def page_number(request):
    """The ``page`` parameter, 1 when absent or not a number."""
    try:
        return max(1, int(request.params.get("page", 1)))
    except ValueError:
        return 1


class Page:
    """One page of a sequence: ``items``, ``number``, ``count``, ``total``."""

    def __init__(self, items, number, size=25):
        items = list(items)
        self.total = len(items)
        self.size = size
        self.count = max(1, (self.total + size - 1) // size)
        self.number = min(max(1, number), self.count)
        start = (self.number - 1) * size
        self.items = items[start:start + size]

    @classmethod
    def from_request(cls, request, items, size=25):
        return cls(items, page_number(request), size)


class LazyPage:
    """One page of a long, lazily filtered sequence, with previous/next links
    only: reaching page N costs N pages of work, never the whole sequence."""

    def __init__(self, iterable, number, size=25):
        self.number = max(1, number)
        self.size = size
        skip = (self.number - 1) * size
        self.items = []
        self.has_next = False
        for index, item in enumerate(iterable):
            if index < skip:
                continue
            if len(self.items) == size:
                self.has_next = True
                break
            self.items.append(item)
        self.has_previous = self.number > 1

    @classmethod
    def from_request(cls, request, iterable, size=25):
        return cls(iterable, page_number(request), size)
