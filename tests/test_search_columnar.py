"""The vectorised evaluator's caches and limits (search/columnar.py).

Its answers are compared with Whoosh's own search in tests/test_relevance.py;
here: a real index of a few thousand documents, so that long posting lists
are cached within their memory budget, dropped with their segment, and that
deletions, pages and unknown query shapes behave.
"""
import pytest
from whoosh.query import Not, Term

from archive.search.service import SearchService

N = 3000


def doc(i, allow="role:official"):
    word = "chung" if i % 2 else "rieng"
    return {"id": f"d{i}", "type": "dossier", "dossier_id": f"d{i}", "fonds": "KT" if i % 3 else "NV",
            "year": str(2000 + i % 20), "date": f"{2000 + i % 20}-01-01", "title": f"Hồ sơ {i}",
            "allow": allow, "exact": f"hồ sơ {word} số{i}", "folded": f"ho so {word} so{i}",
            "pairs": f"ho so {word}"}


@pytest.fixture
def service(tmp_path):
    service = SearchService(str(tmp_path / "index"), cache_mb=1)
    service._set_current(service._new_generation())   # an empty index, as a rebuild starts
    service.index(doc(i) for i in range(N))
    return service


def test_long_lists_are_cached_within_the_budget(service):
    cache = service.columnar.postings
    found = service.search("ho so", principals=["role:official"])
    assert found.total == N
    nv = len(range(0, N, 3))
    assert found.facets["fonds"] == {"KT": N - nv, "NV": nv}
    assert cache.used > 0 and len(cache._lists) >= 1   # "ho" and "so" are in every document
    assert all(len(ids) >= cache.MIN_POSTINGS for ids, _ in cache._lists.values())
    # a query after another: the budget (1 MB) is never exceeded
    for word in ("chung", "rieng", "ho so chung", "ho so rieng"):
        again = service.search(word, principals=["role:official"])
        assert again.total in (N, N // 2)
        assert cache.used <= cache.budget
    # the same answers from the cache as from a cold evaluator
    cold = SearchService(service.index_dir, cache_mb=0)
    for word in ("ho so", "chung", "so42"):
        a = service.search(word, principals=["role:official"], size=50)
        b = cold.search(word, principals=["role:official"], size=50)
        assert (a.total, [h.id for h in a.hits], a.facets) == (b.total, [h.id for h in b.hits], b.facets)
    assert cold.columnar.postings.used == 0


def test_a_new_segment_and_deletions_are_seen_and_old_caches_dropped(service):
    cache = service.columnar.postings
    assert service.search("chung", principals=["role:official"]).total == N // 2
    before = {key[0] for key in cache._lists}
    # replace some documents (deletions in the old segment, a new segment)
    service.index(doc(i, allow="role:auditor") for i in range(1, 101, 2))
    found = service.search("chung", principals=["role:official"])
    assert found.total == N // 2 - 50
    assert service.search("chung", principals=["role:auditor"]).total == 50
    # a merge into one segment: caches of segments gone are dropped
    writer = service.writer()
    service.commit(writer, optimize=True)
    assert service.search("chung", principals=["role:official"]).total == N // 2 - 50
    assert not before & {key[0] for key in cache._lists}


def test_pages_past_the_end_and_an_unknown_query_shape(service):
    last = service.search("chung", principals=["role:official"], page=10 ** 6, size=20)
    assert last.page == (N // 2 + 19) // 20 and len(last.hits) == ((N // 2) % 20 or 20)
    # a shape the evaluator does not know is answered by Whoosh itself
    from archive.search.columnar import Unsupported
    with pytest.raises(Unsupported):
        service.columnar.search(service.searcher(), Not(Term("folded", "chung")),
                                ["role:official"], {}, 0, 10)
