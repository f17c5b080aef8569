"""Search benchmark: our Whoosh pipeline vs bare Whoosh vs tantivy-py.

    .venv/bin/python bench/search.py [--records 100000] [--queries 100]
                                     [--rounds 2] [--workdir DIR] [--json FILE]
                                     [--profile] [--no-tantivy]

A benchmark, not a test: pytest never collects it (``testpaths = tests``).
It builds an archive of ``--records`` records with ``archive-sample``
(records / 4.8 dossiers; default in a temporary directory, or in ``--workdir``
to reuse a built archive between runs: generation is skipped when the work
dir already holds one of that size), then measures, in the same run, on the
same documents and the same fixed mix of queries:

1. **Indexing throughput** (documents/s).  *Ours*: ``SearchService.rebuild``
   over the archive, i.e. the whole pipeline (ZODB walk, ``document_for``,
   our Vietnamese analyzers, one Whoosh writer) -- the figure compared.
   *Bare Whoosh*: the same documents (taken out of the archive beforehand,
   held in memory), one writer, a schema with the same fields and options as
   ours but every custom analyzer replaced by ``StandardAnalyzer`` (no
   custom analysis).  Target: ours >= 0.7 x bare.  Two break-down figures
   help when it is missed: the ZODB walk + ``document_for`` alone, and our
   schema indexing the in-memory documents (analysis + writer, no ZODB).
2. **Search latency** (p50/p95 over ``--rounds`` x ``--queries`` searches,
   after one warm-up round).  *HTTP*: ``GET /api/v1/search`` on a real
   ``pserve`` (``tests/live.LiveServer``) over the built archive, with the
   Bearer token of an official granted a few fonds (so the permission filter
   is non-trivial: other fonds and the access-03 dossiers of granted fonds
   are filtered out), facets on, 20 hits a page with snippets.  *Bare*: a
   Whoosh searcher on the same index, the same query objects
   (``build_query``), the same permission/facet ``filter`` and the same
   ``groupedby`` facets -- no HTTP, no stored fields, no highlighting.  Also
   shown: ``SearchService.search`` in-process (no HTTP: where the time
   between bare and HTTP goes).  Target: HTTP p95 <= 1.5 x bare p95 + 20 ms,
   and < 300 ms.
3. **tantivy-py**, the engine a user would pick instead: the same documents
   with an equivalent schema (``folded`` = our ``fold()`` applied in Python
   before indexing, with positions; ``exact`` = our ``normalize()`` in Python,
   a letters/digits/apostrophe regex tokenizer, lower-cased; ``codes`` and
   ``allow`` whitespace-tokenized; facet fields raw fast fields), one writer
   thread; the same query objects translated term by term (a ``pairs`` term
   ``a_b`` becomes a positional phrase ``a b`` on ``folded``: tantivy has
   positions), the same permission and facet filter, the 7 facets as a terms
   aggregation, 20 hits with stored fields and an HTML snippet.  No target:
   the ratios say where we stand.

tantivy is NOT a dependency of the archive.  Install it into the venv for the
benchmark only::

    .venv/bin/pip install tantivy==0.27.0

Without it part 3 is skipped with a message.

The query mix is fixed in composition (a quarter each: single words, several
words, quoted phrases of 2-4 syllables, codes -- file codes, document numbers
such as ``504/KH-UBND``, receipt codes, ID numbers), half written with tone
marks and half without, a third with a facet filter (year, fonds or document
type); the words are drawn (seeded) from the archive's own documents, mostly
from documents the benchmark user may view.

``--records 5000`` is the quick mode for development (about a minute);
``--records 100000`` (the default) is the figure of record: sample generation
alone takes several minutes there.  ``--json FILE`` writes every figure as
JSON.  ``--profile`` runs the in-process parts under cProfile and prints the
top functions (the .prof files stay in the work dir).
"""
import argparse
import cProfile
import http.client
import importlib.util
import io
import json
import os
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
BIN = os.path.dirname(sys.executable)
DOCS_PER_DOSSIER = 4.8
USER = "bench-official"
# Fonds granted to the benchmark user (present with the default --fonds 9).
GRANTED = ("MAU-GIANGHIA", "MAU-CUJUT", "MAU-DAKMIL", "MAU-DAKRLAP")
PAGE_SIZE = 20
TARGET_INDEX_RATIO = 0.7
TARGET_P95_FACTOR = 1.5
TARGET_P95_SLACK_MS = 20.0
TARGET_P95_MAX_MS = 300.0


def _load_live():
    spec = importlib.util.spec_from_file_location("archive_bench_live",
                                                  os.path.join(PROJECT, "tests", "live.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


live = _load_live()


def say(*args):
    print(*args, flush=True)


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def latency_summary(samples):
    """samples: [(category, wall seconds, query number, cpu seconds)] ->
    {"all": {...}, category: {...}} in ms (wall clock, and CPU time)."""
    out = {}
    groups = {"all": [(s[1], s[3]) for s in samples]}
    for category, seconds, _i, cpu in samples:
        groups.setdefault(category, []).append((seconds, cpu))
    for name, values in groups.items():
        ms = [v * 1000 for v, _ in values]
        cpu = [c * 1000 for _, c in values]
        out[name] = {"n": len(ms), "p50_ms": round(percentile(ms, 50), 2),
                     "p95_ms": round(percentile(ms, 95), 2),
                     "mean_ms": round(statistics.fmean(ms), 2) if ms else None,
                     "max_ms": round(max(ms), 2) if ms else None,
                     "cpu_p50_ms": round(percentile(cpu, 50), 2),
                     "cpu_p95_ms": round(percentile(cpu, 95), 2)}
    return out


def process_cpu(pid):
    """CPU seconds used so far by every thread of process ``pid`` (Linux
    schedstat, nanoseconds: fine-grained, unlike utime's clock ticks)."""
    total = 0
    task_dir = f"/proc/{pid}/task"
    for tid in os.listdir(task_dir):
        try:
            with open(f"{task_dir}/{tid}/schedstat") as fh:
                total += int(fh.read().split()[0])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            pass
    return total / 1e9


class Phase:
    """Wall clock and this process's CPU time of a block, and the load average."""

    def __enter__(self):
        self.wall0 = time.perf_counter()
        self.cpu0 = time.process_time()
        self.load0 = os.getloadavg()[0]
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0
        self.load = max(self.load0, os.getloadavg()[0])


class Profiler:
    """cProfile around a block when --profile is on."""

    def __init__(self, enabled, workdir):
        self.enabled = enabled
        self.workdir = workdir

    def run(self, name, fn, *args, **kwargs):
        if not self.enabled:
            return fn(*args, **kwargs)
        profile = cProfile.Profile()
        result = profile.runcall(fn, *args, **kwargs)
        path = os.path.join(self.workdir, f"profile-{name}.prof")
        profile.dump_stats(path)
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        say(f"\n--- cProfile {name} (top 25 by own time; {path}) ---")
        say("\n".join(out.getvalue().splitlines()[:45]))
        return result


# ---------------------------------------------------------------------------
# The archive

def ini_path(workdir):
    return os.path.join(workdir, "app", "testing.ini")


def build_archive(workdir, records, seed):
    """Generate the sample archive unless the work dir already holds it.
    Returns a dict describing it."""
    app_dir = os.path.join(workdir, "app")
    state_path = os.path.join(workdir, "bench-state.json")
    dossiers = max(1, round(records / DOCS_PER_DOSSIER))
    if os.path.exists(state_path):
        with open(state_path) as fh:
            state = json.load(fh)
        if state.get("dossiers") == dossiers and state.get("seed") == seed:
            say(f"archive: reusing {state['dossiers']} dossiers in {app_dir} "
                f"(generated in {state['generate_s']:.0f} s)")
            state["reused"] = True
            return state
        raise SystemExit(f"bench: {workdir} holds an archive of {state.get('dossiers')} dossiers "
                         f"(seed {state.get('seed')}), not {dossiers} (seed {seed}): use another "
                         "--workdir or delete it")
    if os.path.exists(os.path.join(app_dir, "var", "Data.fs")):
        raise SystemExit(f"bench: {app_dir} holds a database the benchmark did not finish "
                         "generating (no bench-state.json): delete the work dir and run again")
    os.makedirs(app_dir, exist_ok=True)
    live.write_ini(app_dir)
    say(f"archive: generating {dossiers} dossiers (~{records} records) with archive-sample "
        f"in {app_dir} ...")
    env = dict(os.environ, ARCHIVE_ADMIN_PASSWORD=live.ADMIN_PASSWORD)
    started = time.perf_counter()
    proc = subprocess.run([os.path.join(BIN, "archive-sample"), ini_path(workdir),
                           "--dossiers", str(dossiers), "--seed", str(seed), "--quiet"],
                          cwd=app_dir, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"bench: archive-sample failed ({proc.returncode}):\n"
                         f"{proc.stdout}\n{proc.stderr}")
    say("  " + proc.stdout.strip().splitlines()[-1])
    state = {"records": records, "dossiers": dossiers, "seed": seed,
             "generate_s": round(elapsed, 1), "sample_output": proc.stdout.strip()}
    with open(state_path, "w") as fh:
        json.dump(state, fh, indent=1)
    state["reused"] = False
    return state


def prepare_user(env):
    """The benchmark official (granted GRANTED fonds) and a fresh API token.
    Returns (token, principals as the server computes them)."""
    from pyramid.authorization import Authenticated, Everyone

    from archive.security import principals_for
    from archive.services import users as user_service

    registry, actor = env.registry, env.actor

    def work(root):
        present = [code for code in GRANTED if code in root["fonds"]]
        if not present:
            present = sorted(root["fonds"].keys())[:1]
        user = root["users"].get(USER)
        if user is None:
            user = user_service.create_user(root, registry, actor, registry.password_hasher, USER,
                                            "bench-password-" + os.urandom(8).hex(), "official",
                                            present, "Benchmark official")
        token = user_service.create_token(root, registry, actor, user, "bench/search.py")
        return token, [Everyone, Authenticated] + principals_for(user)

    return env.run(work)


def extract_documents(env):
    """Every index document of the archive (the ZODB walk + document_for)."""
    from archive.search.documents import document_for
    from archive.search.service import iter_indexable

    docs = []
    with env.tm:
        for count, obj in enumerate(iter_indexable(env.root), 1):
            doc = document_for(obj)
            if doc is not None:
                docs.append(doc)
            if count % 1000 == 0:
                env.conn.cacheMinimize()
    return docs


# ---------------------------------------------------------------------------
# Indexing

def index_whoosh(path, schema, docs, limitmb=256):
    from whoosh import index

    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)
    ix = index.create_in(path, schema)
    writer = ix.writer(limitmb=limitmb)
    try:
        for doc in docs:
            writer.add_document(**doc)
    except BaseException:
        writer.cancel()
        raise
    writer.commit(optimize=False)
    return ix


def bare_schema():
    """Our schema's fields and options, every custom analyzer replaced by
    Whoosh's StandardAnalyzer (the KEYWORD and ID fields are Whoosh's own)."""
    from whoosh.analysis import StandardAnalyzer
    from whoosh.fields import TEXT, Schema

    from archive.search.schema import make_schema

    ours = make_schema()
    fields = {}
    for name in ours.names():
        field = ours[name]
        if isinstance(field, TEXT):
            fields[name] = TEXT(analyzer=StandardAnalyzer(), phrase=field.format.supports("positions"),
                                stored=field.stored, field_boost=field.format.field_boost,
                                sortable=field.column_type is not None)
        else:
            fields[name] = field
    return Schema(**fields)


# ---------------------------------------------------------------------------
# The query mix

_CODE_ID_RE = re.compile(r"^\d{9,13}$")


def _words(text, accented):
    """Candidate words of a text: (as written, folded), letters only."""
    from archive.search.analysis import tokens

    out = []
    for _exact, folded, start, end in tokens(text):
        if len(folded) < 2 or folded.isdigit() or not any(c.isalpha() for c in folded):
            continue
        out.append((text[start:end] if accented else folded, folded))
    return out


def make_queries(docs, principals, n, seed=20250630):
    """A fixed mix of ``n`` queries drawn from the documents: a list of
    {"category", "text", "filters"}."""
    rng = random.Random(seed)
    allowed = set(principals)
    visible = [d for d in docs if allowed & set(d.get("allow", "").split())]
    categories = ("single", "several", "phrase", "code")
    queries = []
    attempts = 0
    while len(queries) < n and attempts < n * 50:
        attempts += 1
        i = len(queries)
        category = categories[i % 4]
        accented = (i // 4) % 2 == 0
        pool = visible if (visible and rng.random() < 0.8) else docs
        doc = rng.choice(pool)
        text = None
        if category == "code":
            codes = [doc.get("doc_code"), doc.get("file_code")]
            codes += [c for c in doc.get("codes", "").split() if _CODE_ID_RE.match(c) or "-" in c]
            codes = [c for c in codes if c]
            if codes:
                text = rng.choice(codes)
        else:
            lines = [line for line in doc.get("exact", "").split("\n") if line.strip()]
            rng.shuffle(lines)
            for line in lines[:5]:
                words = _words(line, accented)
                if category == "single" and words:
                    text = rng.choice(words)[0]
                elif category == "several" and len(words) >= 3:
                    k = rng.choice((2, 3))
                    picks = sorted(rng.sample(range(len(words)), k))
                    text = " ".join(words[j][0] for j in picks)
                elif category == "phrase" and len(words) >= 2:
                    k = rng.randint(2, min(4, len(words)))
                    first = rng.randrange(len(words) - k + 1)
                    text = '"' + " ".join(w for w, _ in words[first:first + k]) + '"'
                if text:
                    break
        if not text:
            continue
        filters = {}
        if i % 3 == 2:
            name = ("year", "fonds", "doc_type")[(i // 3) % 3]
            value = doc.get(name)
            if value:
                filters[name] = value
        queries.append({"category": category, "text": text, "filters": filters})
    return queries


# ---------------------------------------------------------------------------
# Searching: bare Whoosh, SearchService in-process, HTTP

class BareWhoosh:
    """A Whoosh searcher on our index: the service's query, filter and
    facets, nothing else."""

    def __init__(self, index_dir, principals):
        from whoosh import index

        from archive.search.query import load_synonyms
        from archive.search.schema import make_schema

        with open(os.path.join(index_dir, "CURRENT")) as fh:
            generation = fh.read().strip()
        self.ix = index.open_dir(os.path.join(index_dir, generation), schema=make_schema())
        self.searcher = self.ix.searcher()
        self.synonyms = load_synonyms(None)
        self.principals = principals

    def query(self, text):
        from whoosh.query import Every

        from archive.search.query import build_query

        return build_query(text, synonyms=self.synonyms) or Every()

    def restrict(self, filters):
        from whoosh.query import And, Or, Term

        from archive.search import FACETS

        try:  # the service's own spelling of facet values (district normalised)
            from archive.search.service import facet_value
        except ImportError:
            def facet_value(name, value):
                return str(value)

        allowed = Or([Term("allow", p) for p in self.principals])
        conditions = [allowed] + [Term(name, facet_value(name, value))
                                  for name, value in filters.items() if name in FACETS and value]
        return And(conditions) if len(conditions) > 1 else allowed

    def search(self, text, filters):
        from whoosh import sorting

        from archive.search import FACETS

        query = self.query(text)
        facets = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in FACETS}
        page = self.searcher.search_page(query, 1, pagelen=PAGE_SIZE, filter=self.restrict(filters),
                                         groupedby=facets, terms=False)
        for name in FACETS:
            page.results.groups(name)
        [hit.docnum for hit in page]
        return page.total

    def close(self):
        self.searcher.close()


class InProcess:
    def __init__(self, index_dir, principals):
        from archive.search import SearchService

        self.service = SearchService(index_dir)
        self.principals = principals

    def search(self, text, filters):
        return self.service.search(text, filters, self.principals, page=1, size=PAGE_SIZE).total


class Http:
    def __init__(self, url, token, pid=None):
        self.pid = pid
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.conn = None
        self.errors = 0

    def search(self, text, filters):
        params = {"q": text, "page": 1, "size": PAGE_SIZE, **filters}
        path = "/api/v1/search?" + urllib.parse.urlencode(params)
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                self.conn.request("GET", path, headers=self.headers)
                response = self.conn.getresponse()
                body = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        if response.status != 200:
            self.errors += 1
            raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
        return json.loads(body)["total"]

    def close(self):
        if self.conn is not None:
            self.conn.close()


def cpu_clock(engine):
    """CPU seconds so far that a search on ``engine`` spends: this process's,
    plus the server's for HTTP."""
    pid = getattr(engine, "pid", None)
    if pid is None:
        return time.process_time
    return lambda: process_cpu(pid) + time.process_time()


def measure(engines, queries, rounds):
    """Warm-up round, then ``rounds`` timed rounds of every query on every
    engine (engines alternate per round).  Returns ({engine: samples},
    {engine: [total per query]}); the warm-up round's samples are kept apart
    under ``"<engine>/first"`` (each query's first run: caches cold)."""
    samples = {name: [] for name in engines}
    samples.update({f"{name}/first": [] for name in engines})
    totals = {name: [None] * len(queries) for name in engines}
    for round_no in range(rounds + 1):
        for name, engine in engines.items():
            clock = time.perf_counter
            cpu = cpu_clock(engine)
            for i, q in enumerate(queries):
                cpu0 = cpu()
                started = clock()
                total = engine.search(q["text"], q["filters"])
                elapsed = clock() - started
                used = cpu() - cpu0
                if round_no == 0:
                    totals[name][i] = total
                    samples[f"{name}/first"].append((q["category"], elapsed, i, used))
                else:
                    samples[name].append((q["category"], elapsed, i, used))
        say(f"  {'warm-up' if round_no == 0 else f'round {round_no}/{rounds}'} done")
    return samples, totals


# ---------------------------------------------------------------------------
# tantivy

TANTIVY_HINT = ".venv/bin/pip install tantivy==0.27.0"


def tantivy_available():
    try:
        import tantivy  # noqa: F401
    except ImportError:
        return False
    return True


class Tantivy:
    """The same documents and queries in tantivy-py (see the module doc)."""

    STORED = ("type", "dossier_id", "title", "file_code", "doc_code")

    def __init__(self, path, principals):
        import tantivy

        from archive.search import FACETS

        self.t = tantivy
        self.facets = FACETS
        if os.path.exists(path):
            shutil.rmtree(path)
        os.makedirs(path)
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("id", stored=True, tokenizer_name="raw")
        for name in self.STORED:
            sb.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
        for name in FACETS + ("date",):
            sb.add_text_field(name, stored=True, fast=True, tokenizer_name="raw",
                              index_option="basic")
        sb.add_text_field("allow", tokenizer_name="ws_keep", index_option="basic")
        sb.add_text_field("codes", tokenizer_name="ws_lower", index_option="freq")
        sb.add_text_field("exact", tokenizer_name="vi_exact", index_option="freq")
        sb.add_text_field("folded", stored=True, tokenizer_name="default", index_option="position")
        self.schema = sb.build()
        self.index = tantivy.Index(self.schema, path=path)
        self._register()
        self.principals = principals
        self.synonyms = None

    def _register(self):
        t = self.t
        self.index.register_tokenizer(
            "ws_keep", t.TextAnalyzerBuilder(t.Tokenizer.whitespace()).build())
        self.index.register_tokenizer(
            "ws_lower", t.TextAnalyzerBuilder(t.Tokenizer.whitespace())
            .filter(t.Filter.lowercase()).build())
        self.index.register_tokenizer(
            "vi_exact", t.TextAnalyzerBuilder(
                t.Tokenizer.regex(r"[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*"))
            .filter(t.Filter.remove_long(80)).filter(t.Filter.lowercase()).build())

    def build(self, docs):
        from archive.search.analysis import fold, normalize

        t = self.t
        writer = self.index.writer(256_000_000, 1)
        fields = ("id",) + self.STORED + self.facets + ("date", "allow", "codes")
        for doc in docs:
            text = doc["exact"]
            values = {name: doc.get(name) or "" for name in fields}
            values["exact"] = normalize(text)
            values["folded"] = fold(text)
            writer.add_document(t.Document(**values))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()

    # queries -----------------------------------------------------------------
    def translate(self, q):
        """A tantivy query for a Whoosh query of build_query."""
        from whoosh import query as wq

        t = self.t
        Q, O = t.Query, t.Occur
        boost = getattr(q, "boost", 1.0) or 1.0
        if isinstance(q, wq.Term):
            text = q.text.decode("utf-8") if isinstance(q.text, bytes) else q.text
            if q.fieldname == "pairs":
                first, second = text.split("_", 1)
                out = Q.phrase_query(self.schema, "folded", [first, second])
            else:
                out = Q.term_query(self.schema, q.fieldname, text)
        elif isinstance(q, wq.AndMaybe):
            out = Q.boolean_query([(O.Must, self.translate(q.a)), (O.Should, self.translate(q.b))])
        elif isinstance(q, wq.And):
            out = Q.boolean_query([(O.Must, self.translate(s)) for s in q.subqueries])
        elif isinstance(q, wq.Or):
            out = Q.boolean_query([(O.Should, self.translate(s)) for s in q.subqueries])
        elif isinstance(q, wq.Every):
            out = Q.all_query()
        else:
            raise TypeError(f"no tantivy translation for {q!r}")
        if boost != 1.0:
            out = Q.boost_query(out, float(boost))
        return out

    def search(self, text, filters):
        from whoosh.query import Every

        from archive.search.query import build_query, load_synonyms

        t = self.t
        Q, O = t.Query, t.Occur
        if self.synonyms is None:
            self.synonyms = load_synonyms(None)
        query = self.translate(build_query(text, synonyms=self.synonyms) or Every())
        allowed = Q.boolean_query([(O.Should, Q.term_query(self.schema, "allow", p))
                                   for p in self.principals])
        clauses = [(O.Must, query), (O.Must, Q.const_score_query(allowed, 0.0))]
        for name, value in filters.items():
            clauses.append((O.Must, Q.const_score_query(
                Q.term_query(self.schema, name, str(value)), 0.0)))
        full = Q.boolean_query(clauses)
        searcher = self.searcher
        result = searcher.search(full, PAGE_SIZE, count=True)
        searcher.aggregate(full, {name: {"terms": {"field": name, "size": 1000}}
                                  for name in self.facets})
        snippets = t.SnippetGenerator.create(searcher, full, self.schema, "folded")
        snippets.set_max_num_chars(200)
        for _score, address in result.hits:
            doc = searcher.doc(address)
            doc.get_first("title")
            snippets.snippet_from_doc(doc).to_html()
        return result.count


# ---------------------------------------------------------------------------
# Report

def fmt_rate(value):
    return f"{value:,.0f} docs/s" if value else "-"


def print_indexing(ix, tv):
    say("Indexing throughput")
    rows = [("ours: SearchService.rebuild (ZODB + document_for + analyzers + writer)",
             ix["ours_rebuild"]),
            ("  part: ZODB walk + document_for only", ix["extract"]),
            ("  part: our schema from memory (analyzers + writer)", ix["ours_memory"]),
            ("bare Whoosh writer (StandardAnalyzer, same docs from memory)", ix["bare"])]
    if tv:
        rows.append(("tantivy-py (fold()/normalize() in Python, 1 writer thread)", tv["indexing"]))
    say(f"  {'':<62} {'wall docs/s':>12} {'seconds':>8} {'CPU s':>8} {'docs/CPU s':>10} "
        f"{'load':>5}")
    for label, entry in rows:
        say(f"  {label:<62} {entry['docs_per_s']:>12,.0f} {entry['seconds']:>8.1f} "
            f"{entry['cpu_seconds']:>8.1f} {entry['docs_per_cpu_s']:>10,.0f} {entry['max_load']:>5.1f}")
    verdict = "MET" if ix["ratio"] >= TARGET_INDEX_RATIO else "MISSED"
    say(f"  ratio ours / bare = {ix['ratio']:.2f}x wall, {ix['ratio_cpu']:.2f}x CPU   "
        f"(target >= {TARGET_INDEX_RATIO}x: {verdict})")
    say(f"  ratio analysis only (ours from memory / bare) = {ix['ratio_memory']:.2f}x")
    say("  (load = highest 1-min load average seen; above 2 on these 2-core machines other work "
        "competed: trust the CPU columns more)")


def print_summary(report):
    ix = report["indexing"]
    lat = report["latency"]
    tv = report.get("tantivy")
    docs = report["archive"]["documents"]
    say("\n" + "=" * 78)
    say(f"SUMMARY  {report['archive']['dossiers']} dossiers, {docs} documents indexed; "
        f"{report['queries']['count']} queries x {report['queries']['rounds']} rounds; "
        f"user {USER} ({len(report['principals'])} principals)")
    say("=" * 78)
    if ix is None:
        say("Indexing throughput: not measured (--latency-only)")
    else:
        print_indexing(ix, tv)

    say("\nSearch latency (ms)            p50      p95     mean      max   CPU p50   CPU p95")
    engines = [("ours, HTTP /api/v1/search", "http"), ("ours, SearchService in-process", "service"),
               ("bare Whoosh searcher", "bare")]
    if tv:
        engines.append(("tantivy-py in-process", "tantivy"))
    for label, key in engines:
        a = lat[key]["all"]
        say(f"  {label:<28} {a['p50_ms']:>7.1f}  {a['p95_ms']:>7.1f}  {a['mean_ms']:>7.1f}  "
            f"{a['max_ms']:>7.1f}  {a['cpu_p50_ms']:>7.1f}  {a['cpu_p95_ms']:>7.1f}")
    say("  first run of each query (warm-up round: caches of the engine still cold)")
    for label, key in engines:
        a = lat[f"{key}/first"]["all"]
        say(f"  {label:<28} {a['p50_ms']:>7.1f}  {a['p95_ms']:>7.1f}  {a['mean_ms']:>7.1f}  "
            f"{a['max_ms']:>7.1f}  {a['cpu_p50_ms']:>7.1f}  {a['cpu_p95_ms']:>7.1f}")
    say("\n  p50 / p95 by query kind      " + "  ".join(f"{c:>15}" for c in
                                                        ("single", "several", "phrase", "code")))
    for label, key in engines:
        cells = []
        for c in ("single", "several", "phrase", "code"):
            e = lat[key].get(c)
            cells.append(f"{e['p50_ms']:>6.1f} / {e['p95_ms']:>6.1f}" if e else f"{'-':>15}")
        say(f"  {label:<28} " + "  ".join(cells))
    t = report["targets"]
    say("  (CPU = CPU time per search: the server's threads plus the client for HTTP; "
        f"load average during the searches: {report['search_load']:.1f})")
    say(f"\n  target: HTTP p95 {t['http_p95_ms']:.1f} ms <= 1.5 x bare p95 + 20 ms = "
        f"{t['http_p95_limit_ms']:.1f} ms: {'MET' if t['http_p95_relative_met'] else 'MISSED'}; "
        f"< {TARGET_P95_MAX_MS:.0f} ms: {'MET' if t['http_p95_absolute_met'] else 'MISSED'}")
    say(f"  same in CPU time: HTTP CPU p95 {t['http_cpu_p95_ms']:.1f} ms <= "
        f"{t['http_cpu_p95_limit_ms']:.1f} ms: {'MET' if t['http_cpu_p95_relative_met'] else 'MISSED'}; "
        f"< {TARGET_P95_MAX_MS:.0f} ms: {'MET' if t['http_cpu_p95_absolute_met'] else 'MISSED'}")
    checks = report["checks"]
    say(f"  totals agree HTTP vs bare: {checks['http_vs_bare_same_total']}/{checks['queries']}; "
        f"in-process vs bare: {checks['service_vs_bare_same_total']}/{checks['queries']}"
        + (f"; tantivy vs bare: {checks['tantivy_vs_bare_same_total']}/{checks['queries']}"
           if tv else ""))
    if tv:
        r = tv["ratios"]
        say("\ntantivy-py vs ours")
        if "index_tantivy_over_ours" in r:
            say(f"  indexing: tantivy is {r['index_tantivy_over_ours']:.1f}x ours "
                f"({r['index_tantivy_over_bare']:.1f}x bare Whoosh)")
        say(f"  search p50: ours HTTP / tantivy = {r['p50_http_over_tantivy']:.1f}x, "
            f"ours in-process / tantivy = {r['p50_service_over_tantivy']:.1f}x")
        say(f"  search p95: ours HTTP / tantivy = {r['p95_http_over_tantivy']:.1f}x, "
            f"ours in-process / tantivy = {r['p95_service_over_tantivy']:.1f}x")
    elif report.get("tantivy_skipped"):
        say(f"\ntantivy-py: skipped ({report['tantivy_skipped']})")
    say("=" * 78)


# ---------------------------------------------------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(
        prog="bench/search.py",
        description="Search benchmark: indexing throughput and search latency of our pipeline "
                    "vs bare Whoosh vs tantivy-py, on an archive-sample archive.")
    p.add_argument("--records", type=int, default=100_000,
                   help="records in the archive (dossiers = records / 4.8); 5000 = quick mode")
    p.add_argument("--queries", type=int, default=100, help="queries in the mix (default 100)")
    p.add_argument("--rounds", type=int, default=2,
                   help="timed rounds of the mix, after one warm-up round (default 2)")
    p.add_argument("--workdir", help="work dir to keep (and reuse) the built archive; "
                                     "default: a temporary dir, removed afterwards")
    p.add_argument("--seed", type=int, default=0, help="archive-sample seed (default 0)")
    p.add_argument("--json", metavar="FILE", help="also write every figure as JSON to FILE")
    p.add_argument("--profile", action="store_true",
                   help="cProfile the in-process parts (rebuild, in-process searches)")
    p.add_argument("--no-tantivy", action="store_true", help="skip part 3")
    p.add_argument("--latency-only", action="store_true",
                   help="with --workdir of an earlier run: skip part 1 and search the index "
                        "that run built (tantivy's index is still built)")
    args = p.parse_args(argv)
    if args.records < 5 or args.queries < 4 or args.rounds < 1:
        p.error("--records >= 5, --queries >= 4, --rounds >= 1")

    temporary = args.workdir is None
    workdir = os.path.abspath(args.workdir or tempfile.mkdtemp(prefix="archive-bench-"))
    os.makedirs(workdir, exist_ok=True)
    profiler = Profiler(args.profile, workdir)
    report = {"argv": sys.argv[1:], "workdir": workdir, "cpus": os.cpu_count(),
              "python": sys.version.split()[0]}
    try:
        run(args, workdir, profiler, report)
    finally:
        if temporary:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=1, ensure_ascii=False)
        say(f"JSON written to {args.json}")
    return 0


def index_phases(workdir, docs, extract, rebuild, count):
    """The rest of part 1: our schema and bare Whoosh from memory; ratios."""
    from archive.search.schema import make_schema

    say("indexing: our schema from the in-memory documents ...")
    with Phase() as memory:
        index_whoosh(os.path.join(workdir, "ours-memory-index"), make_schema(), docs)
    say(f"  {memory.seconds:.1f} s (CPU {memory.cpu:.1f} s)")
    shutil.rmtree(os.path.join(workdir, "ours-memory-index"), ignore_errors=True)

    say("indexing: bare Whoosh (StandardAnalyzer) from the in-memory documents ...")
    with Phase() as bare:
        index_whoosh(os.path.join(workdir, "bare-index"), bare_schema(), docs)
    say(f"  {bare.seconds:.1f} s (CPU {bare.cpu:.1f} s)")
    shutil.rmtree(os.path.join(workdir, "bare-index"), ignore_errors=True)

    n = len(docs)
    indexing = {"extract": entry(extract, n), "ours_rebuild": entry(rebuild, count),
                "ours_memory": entry(memory, n), "bare": entry(bare, n)}
    indexing["ratio"] = round(indexing["ours_rebuild"]["docs_per_s"] / indexing["bare"]["docs_per_s"], 3)
    indexing["ratio_memory"] = round(indexing["ours_memory"]["docs_per_s"]
                                     / indexing["bare"]["docs_per_s"], 3)
    indexing["ratio_cpu"] = round(indexing["ours_rebuild"]["docs_per_cpu_s"]
                                  / indexing["bare"]["docs_per_cpu_s"], 3)
    return indexing


def entry(phase, documents):
    return {"seconds": round(phase.seconds, 2), "docs_per_s": round(documents / phase.seconds, 1),
            "cpu_seconds": round(phase.cpu, 2),
            "docs_per_cpu_s": round(documents / max(phase.cpu, 1e-9), 1),
            "max_load": round(phase.load, 2)}


def run(args, workdir, profiler, report):
    from archive.scripts._common import ScriptEnv

    state = build_archive(workdir, args.records, args.seed)
    report["archive"] = {k: state[k] for k in ("records", "dossiers", "seed", "generate_s", "reused")}

    # -- 1. indexing ---------------------------------------------------------
    os.environ.setdefault("ARCHIVE_ADMIN_PASSWORD", live.ADMIN_PASSWORD)
    env = ScriptEnv(ini_path(workdir), "bench")
    try:
        token, principals = prepare_user(env)
        report["principals"] = principals
        say(f"user {USER}: principals {', '.join(principals)}")

        say("indexing: ZODB walk + document_for ...")
        with Phase() as extract:
            docs = extract_documents(env)
        say(f"  {len(docs)} documents in {extract.seconds:.1f} s (CPU {extract.cpu:.1f} s)")

        service = env.registry.search
        if args.latency_only:
            say("indexing: skipped (--latency-only): searching the index of the previous run")
            service.ix()
        else:
            say("indexing: ours, SearchService.rebuild ...")
            with Phase() as rebuild:
                count = profiler.run("rebuild", service.rebuild, env.db)
            say(f"  {count} documents in {rebuild.seconds:.1f} s (CPU {rebuild.cpu:.1f} s)")
        index_dir = service.index_dir
    finally:
        env.close()
    report["archive"]["documents"] = len(docs)
    indexing = report["indexing"] = None if args.latency_only else index_phases(
        workdir, docs, extract, rebuild, count)

    # -- 3a. tantivy index (before the server: the machine is otherwise idle) --
    tv = None
    if args.no_tantivy:
        report["tantivy_skipped"] = "--no-tantivy"
    elif not tantivy_available():
        report["tantivy_skipped"] = f"tantivy is not importable; install it with: {TANTIVY_HINT}"
        say(f"tantivy-py: not installed, part 3 skipped (install it with: {TANTIVY_HINT})")
    else:
        import tantivy
        say("indexing: tantivy-py ...")
        tv = Tantivy(os.path.join(workdir, "tantivy-index"), principals)
        with Phase() as tantivy_phase:
            tv.build(docs)
        say(f"  {tantivy_phase.seconds:.1f} s (CPU {tantivy_phase.cpu:.1f} s)")
        report["tantivy"] = {"version": getattr(tantivy, "__version__", "0.27.0"),
                             "indexing": entry(tantivy_phase, len(docs))}

    # -- 2. latency ------------------------------------------------------------
    queries = make_queries(docs, principals, args.queries)
    del docs
    counts = {}
    for q in queries:
        counts[q["category"]] = counts.get(q["category"], 0) + 1
    report["queries"] = {"count": len(queries), "rounds": args.rounds, "by_kind": counts,
                         "with_filter": sum(1 for q in queries if q["filters"]),
                         "mix": queries}
    say(f"queries: {len(queries)} ({', '.join(f'{k} {v}' for k, v in counts.items())}; "
        f"{report['queries']['with_filter']} with a facet filter), e.g. "
        + "; ".join(q["text"] for q in queries[:8]))

    server = live.LiveServer(os.path.join(workdir, "app"),
                             app_settings={"archive.search.writer": "false"})
    say(f"server: pserve on {server.url} (writer thread off: the index is the one just built)")
    server.start(timeout=120)
    engines = {}
    try:
        engines["http"] = Http(server.url, token, server.pid)
        engines["service"] = InProcess(index_dir, principals)
        engines["bare"] = BareWhoosh(index_dir, principals)
        if tv is not None:
            engines["tantivy"] = tv
        say(f"latency: {', '.join(engines)} ...")
        if args.profile:
            profiler.run("service-search", lambda: [engines["service"].search(q["text"], q["filters"])
                                                    for q in queries])
        with Phase() as search_phase:
            samples, totals = measure(engines, queries, args.rounds)
        report["search_load"] = round(search_phase.load, 2)
        report["server_rss_mb"] = round(server.rss_kb() / 1024, 1)
    finally:
        for engine in engines.values():
            if hasattr(engine, "close"):
                engine.close()
        server.stop()
    report["latency"] = {name: latency_summary(s) for name, s in samples.items()}
    for i, q in enumerate(queries):
        q["total"] = totals["bare"][i]
        q["median_ms"] = {name: round(1000 * statistics.median(x[1] for x in s if x[2] == i), 2)
                          for name, s in samples.items() if "/" not in name}

    http_p95 = report["latency"]["http"]["all"]["p95_ms"]
    bare_p95 = report["latency"]["bare"]["all"]["p95_ms"]
    limit = TARGET_P95_FACTOR * bare_p95 + TARGET_P95_SLACK_MS
    report["targets"] = {} if indexing is None else {
        "index_ratio": indexing["ratio"], "index_ratio_met": indexing["ratio"] >= TARGET_INDEX_RATIO}
    report["targets"].update({
        "http_p95_ms": http_p95, "http_p95_limit_ms": round(limit, 2),
        "http_p95_relative_met": http_p95 <= limit,
        "http_p95_absolute_met": http_p95 < TARGET_P95_MAX_MS})
    http_cpu = report["latency"]["http"]["all"]["cpu_p95_ms"]
    cpu_limit = TARGET_P95_FACTOR * report["latency"]["bare"]["all"]["cpu_p95_ms"] + TARGET_P95_SLACK_MS
    report["targets"].update({"http_cpu_p95_ms": http_cpu, "http_cpu_p95_limit_ms": round(cpu_limit, 2),
                              "http_cpu_p95_relative_met": http_cpu <= cpu_limit,
                              "http_cpu_p95_absolute_met": http_cpu < TARGET_P95_MAX_MS})
    same = {name: sum(1 for a, b in zip(totals[name], totals["bare"]) if a == b) for name in totals}
    report["checks"] = {"queries": len(queries),
                        "http_vs_bare_same_total": same["http"],
                        "service_vs_bare_same_total": same["service"],
                        "tantivy_vs_bare_same_total": same.get("tantivy"),
                        "zero_hit_queries": sum(1 for t in totals["bare"] if not t)}
    if tv is not None:
        lat = report["latency"]
        tv_rate = report["tantivy"]["indexing"]["docs_per_s"]
        report["tantivy"]["ratios"] = {} if indexing is None else {
            "index_tantivy_over_ours": round(tv_rate / indexing["ours_rebuild"]["docs_per_s"], 2),
            "index_tantivy_over_bare": round(tv_rate / indexing["bare"]["docs_per_s"], 2)}
        report["tantivy"]["ratios"].update({
            "p50_http_over_tantivy": round(lat["http"]["all"]["p50_ms"] / lat["tantivy"]["all"]["p50_ms"], 2),
            "p95_http_over_tantivy": round(lat["http"]["all"]["p95_ms"] / lat["tantivy"]["all"]["p95_ms"], 2),
            "p50_service_over_tantivy": round(lat["service"]["all"]["p50_ms"]
                                              / lat["tantivy"]["all"]["p50_ms"], 2),
            "p95_service_over_tantivy": round(lat["service"]["all"]["p95_ms"]
                                              / lat["tantivy"]["all"]["p95_ms"], 2),
        })
    print_summary(report)
    say("JSON: " + json.dumps({"indexing": report["indexing"], "targets": report["targets"],
                               "latency": {k: v["all"] for k, v in report["latency"].items()},
                               "tantivy": (report.get("tantivy") or {}).get("ratios")},
                              ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
