"""OCR benchmark: our whole pipeline vs bare ``tesseract`` vs bare ``ocrmypdf``.

    .venv/bin/python bench/ocr.py [--pages 16] [--pages-per-file 4]
                                  [--worker-threads 2] [--workdir DIR] [--json FILE]

A benchmark, not a test: pytest never collects it (``testpaths = tests``).
It renders ``--pages`` Vietnamese pages (A4, 300 dpi, DejaVu Sans about
10 pt, each with a unique code such as ``BK000007`` so that its text can be
found), makes image-only PDFs of ``--pages-per-file`` pages from them (as a
scanner does), and measures, in the same run, on the same pages, with both
cores busy:

1. **Ours** (the figure compared): a real ``pserve`` (``tests/live.py``) on a
   fresh archive, its in-process job worker on (``--worker-threads`` slots)
   and its search indexer on.  The clock starts before the first upload and
   stops when the text of every file is found through ``GET
   /api/v1/search`` -- the whole pipeline: upload through the HTTP API
   (``POST /api/v1/dossiers/{id}/records``, one document per file) -> the
   ``ocr`` job -> Tesseract ``vie+eng``, one pass per page, and the PDF/A-2b
   rendition made and validated by pikepdf (``archive.digitise.scans``: these
   PDFs are plain scans) -> per-page text stored -> the document queued for
   the index -> indexed.
2. **Bare tesseract** (the limit): ``tesseract PAGE.png stdout -l vie+eng``
   on the same pages as lossless PNGs, one page per process, 2 processes at
   a time, ``OMP_THREAD_LIMIT=1``.  Target: ours >= 0.75 x its pages/min.
3. **Bare ocrmypdf** (the peer): the same PDFs, the command line our engine
   builds (``archive.digitise.engine.ocrmypdf_command``: same languages,
   PDF/A-2, rotation, deskew, ``--jobs``), as many files at a time as our
   worker has slots.  Target: ours within 10 % of it (>= 0.90 x).

Each line gives pages per minute (wall clock), the ratio, and the highest
load average seen: these machines are shared; above 2 the figures include
waiting for a core.  The last line is a JSON digest (``--json FILE`` writes
it to a file too).
"""
import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(PROJECT, "tests"))

import live  # noqa: E402  (tests/live.py: LiveServer, ADMIN_PASSWORD)

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DPI = 300
TARGET_TESSERACT = 0.75
TARGET_OCRMYPDF = 0.90

LINES = [
    "ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG – SỞ NỘI VỤ",
    "Quyết định về việc công nhận kết quả tuyển dụng công chức năm 2024",
    "Căn cứ Luật Cán bộ, công chức ngày 13 tháng 11 năm 2008;",
    "Căn cứ Nghị định số 30/2020/NĐ-CP của Chính phủ về công tác văn thư;",
    "Xét đề nghị của Trưởng phòng Tổ chức cán bộ, Sở Nội vụ tỉnh Đắk Nông.",
    "Điều 1. Công nhận kết quả tuyển dụng đối với bà Nguyễn Thị Hương,",
    "sinh ngày 12 tháng 5 năm 1990, quê quán xã Đắk Sôr, huyện Krông Nô.",
    "Điều 2. Bà Nguyễn Thị Hương được bổ nhiệm vào ngạch chuyên viên,",
    "làm việc tại phòng Văn thư lưu trữ, kể từ ngày ký quyết định này.",
    "Điều 3. Chánh Văn phòng, Trưởng phòng Tổ chức cán bộ và các đơn vị",
    "có liên quan chịu trách nhiệm thi hành quyết định này.",
    "Đơn xin cấp bản sao giấy chứng nhận quyền sử dụng đất, thửa đất số 125,",
    "tờ bản đồ số 7, tại thôn Nam Đông, xã Nam Đông, huyện Cư Jút.",
    "Nơi nhận: như Điều 3; lưu văn thư, hồ sơ công chức.",
    "Giám đốc Sở Nội vụ ký tên và đóng dấu.",
]


def say(*args):
    print(*args, flush=True)


class Load:
    """The highest 1-minute load average seen while it runs."""

    def __init__(self):
        self.peak = os.getloadavg()[0]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(1.0):
            self.peak = max(self.peak, os.getloadavg()[0])

    def __enter__(self):
        self.started = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        self._stop.set()
        self.peak = max(self.peak, os.getloadavg()[0])


# --------------------------------------------------------------------------- the pages

def page_code(number):
    return f"BK{number:06d}"


def render_page(number):
    """Page ``number``: the lines of LINES, rotated by the page number so the
    pages differ, and the page's unique code."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, 40)
    image = Image.new("RGB", (2480, 3508), "white")
    draw = ImageDraw.Draw(image)
    lines = LINES[number % len(LINES):] + LINES[:number % len(LINES)]
    lines = [f"Hồ sơ số {page_code(number)} – trang {number}"] + lines
    for line_no, line in enumerate(lines):
        draw.text((180, 250 + line_no * 76), line, fill="black", font=font)
    return image


def make_inputs(folder, pages, per_file):
    """PNG per page (for tesseract) and image-only PDFs of ``per_file`` pages."""
    pngs, pdfs = [], []
    images = []
    for number in range(1, pages + 1):
        image = render_page(number)
        path = os.path.join(folder, f"page-{number:04d}.png")
        image.save(path, "PNG", dpi=(DPI, DPI))
        pngs.append(path)
        images.append((number, image))
    for start in range(0, len(images), per_file):
        chunk = images[start:start + per_file]
        path = os.path.join(folder, f"scan-{len(pdfs) + 1:04d}.pdf")
        chunk[0][1].save(path, "PDF", resolution=DPI, save_all=True,
                         append_images=[image for _n, image in chunk[1:]])
        pdfs.append((path, [n for n, _image in chunk]))
    return pngs, pdfs


# --------------------------------------------------------------------------- HTTP

def request(server, method, path, token=None, body=None, content_type="application/json"):
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    req = urllib.request.Request(server.url + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", content_type)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=600) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                  .encode())
        out.write(value.encode("utf-8") + b"\r\n")
    for name, filename, content in files:
        out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                  f"filename=\"{filename}\"\r\nContent-Type: application/pdf\r\n\r\n".encode())
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


# --------------------------------------------------------------------------- 1. ours

def run_pipeline(workdir, pdfs, threads):
    app_dir = os.path.join(workdir, "app")
    os.makedirs(app_dir)
    server = live.LiveServer(app_dir, {
        "archive.jobs.worker": "true",
        "archive.jobs.threads": str(threads),
        "archive.jobs.poll": "1",
        "archive.ocr.auto": "true",
    })
    server.start()
    try:
        status, answer = request(server, "POST", "/api/v1/tokens",
                                 body={"login": "admin", "password": live.ADMIN_PASSWORD})
        token = answer["token"]
        request(server, "POST", "/api/v1/fonds", token, {
            "code": "BENCH", "name": "Phông đo hiệu năng OCR", "organ_id": "000.00.17.H17"})
        status, answer = request(server, "POST", "/api/v1/fonds/BENCH/dossiers", token, {
            "notation": "01.OCR", "title": "Hồ sơ đo hiệu năng nhận dạng chữ", "retention": 10,
            "start_date": "2024-01-05"})
        dossier_id = answer["id"]
        contents = [(path, numbers, open(path, "rb").read()) for path, numbers in pdfs]
        metadata = json.dumps({"doc_type": "02", "issued_date": "2024-03-15",
                               "issuer": "Sở Nội vụ tỉnh Đắk Nông",
                               "subject": "Bản quét đo hiệu năng"})
        with Load() as load:
            records = []
            for path, numbers, content in contents:
                body, ctype = multipart({"metadata": metadata},
                                        [("file", os.path.basename(path), content)])
                status, answer = request(server, "POST", f"/api/v1/dossiers/{dossier_id}/records",
                                         token, body, ctype)
                assert status == 201, answer
                records.append((answer["id"], numbers))
            waiting = dict(records)
            failed = []
            while waiting:
                time.sleep(0.2)
                for record_id, numbers in list(waiting.items()):
                    status, answer = request(server, "GET", f"/api/v1/records/{record_id}", token)
                    state = answer.get("text_status")
                    if state == "failed":
                        failed.append(record_id)
                        del waiting[record_id]
                        continue
                    if state != "done":
                        continue
                    # the text is indexed: every page's code is found
                    query = " OR ".join(page_code(n) for n in numbers[:1])
                    status, found = request(server, "GET", "/api/v1/search?"
                                            + urllib.parse.urlencode({"q": query}), token)
                    if status == 200 and found.get("total", 0) >= 1:
                        del waiting[record_id]
        if failed:
            raise SystemExit(f"OCR failed for {len(failed)} files: see {server.log_path}")
        return load
    finally:
        server.stop()


# --------------------------------------------------------------------------- 2. bare tesseract

def run_tesseract(workdir, pngs, parallel=2):
    env = dict(os.environ, OMP_THREAD_LIMIT="1")

    def one(path):
        result = subprocess.run(["tesseract", path, "stdout", "-l", "vie+eng"], env=env,
                                capture_output=True, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(result.stderr.decode("utf-8", "replace"))
        return result.stdout.decode("utf-8", "replace")

    with Load() as load, ThreadPoolExecutor(parallel) as pool:
        texts = list(pool.map(one, pngs))
    found = sum(1 for number, text in enumerate(texts, 1) if page_code(number) in text)
    return load, found


# --------------------------------------------------------------------------- 3. bare ocrmypdf

def run_ocrmypdf(workdir, pdfs, parallel):
    from archive.digitise import engine

    options = engine.Options()
    out_dir = os.path.join(workdir, "ocrmypdf-out")
    os.makedirs(out_dir)

    def one(item):
        path, numbers = item
        facts = engine.Facts("pdf", page_count=len(numbers), page_texts=[""] * len(numbers))
        output = os.path.join(out_dir, os.path.basename(path))
        cmd = engine.ocrmypdf_command(path, output, options, facts)
        tmp = tempfile.mkdtemp(dir=workdir, prefix="ocrmypdf-tmp-")
        env = dict(os.environ, OMP_THREAD_LIMIT="1", TMPDIR=tmp, PYTHONIOENCODING="utf-8")
        result = subprocess.run(cmd, env=env, capture_output=True, timeout=3600)
        shutil.rmtree(tmp, ignore_errors=True)
        if result.returncode != 0:
            raise RuntimeError(result.stderr.decode("utf-8", "replace")[-2000:])
        return output

    with Load() as load, ThreadPoolExecutor(parallel) as pool:
        list(pool.map(one, pdfs))
    return load, " ".join(cmd_preview(engine, options))


def cmd_preview(engine, options):
    facts = engine.Facts("pdf", page_count=1, page_texts=[""])
    cmd = engine.ocrmypdf_command("IN.pdf", "OUT.pdf", options, facts)
    return ["ocrmypdf"] + cmd[3:]


# --------------------------------------------------------------------------- main

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pages", type=int, default=16, help="pages in all (default 16)")
    p.add_argument("--pages-per-file", type=int, default=4,
                   help="pages per uploaded PDF (default 4)")
    p.add_argument("--worker-threads", type=int, default=2,
                   help="job worker slots of the server, and files at a time for bare "
                        "ocrmypdf (default 2)")
    p.add_argument("--workdir", help="keep the inputs and the archive here (default: temporary)")
    p.add_argument("--json", help="write the figures to this file too")
    args = p.parse_args(argv)

    workdir = args.workdir or tempfile.mkdtemp(prefix="bench-ocr-")
    os.makedirs(workdir, exist_ok=True)
    try:
        from archive.digitise.engine import engine_versions

        versions = f"ours: {engine_versions('scan')}; peer: {engine_versions()}"
    except Exception:
        versions = "?"
    say(f"OCR benchmark: {args.pages} pages, {args.pages_per_file} per file, "
        f"{os.cpu_count()} cores, worker slots {args.worker_threads}; {versions}")
    inputs = os.path.join(workdir, "inputs")
    os.makedirs(inputs, exist_ok=True)
    started = time.perf_counter()
    pngs, pdfs = make_inputs(inputs, args.pages, args.pages_per_file)
    say(f"rendered {len(pngs)} pages into {len(pdfs)} PDFs in "
        f"{time.perf_counter() - started:.1f} s")
    try:
        say("1/3 ours: upload -> job -> Tesseract -> PDF/A rendition + text -> search index ...")
        ours = run_pipeline(workdir, pdfs, args.worker_threads)
        say(f"    {ours.seconds:.1f} s")
        say("2/3 bare tesseract, 2 processes, one page each ...")
        tess, tess_found = run_tesseract(workdir, pngs)
        say(f"    {tess.seconds:.1f} s ({tess_found}/{len(pngs)} page codes read)")
        say(f"3/3 bare ocrmypdf, {args.worker_threads} files at a time ...")
        peer, command = run_ocrmypdf(workdir, pdfs, args.worker_threads)
        say(f"    {peer.seconds:.1f} s: {command}")
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    def rate(phase):
        return args.pages / phase.seconds * 60

    figures = {
        "pages": args.pages, "pages_per_file": args.pages_per_file,
        "worker_threads": args.worker_threads, "cores": os.cpu_count(), "engines": versions,
        "ours_ppm": round(rate(ours), 2), "tesseract_ppm": round(rate(tess), 2),
        "ocrmypdf_ppm": round(rate(peer), 2),
        "ratio_vs_tesseract": round(rate(ours) / rate(tess), 3),
        "ratio_vs_ocrmypdf": round(rate(ours) / rate(peer), 3),
        "load_peak": {"ours": round(ours.peak, 2), "tesseract": round(tess.peak, 2),
                      "ocrmypdf": round(peer.peak, 2)},
    }
    say("")
    say(f"{'':28} {'pages/min':>10} {'seconds':>9} {'ratio':>7} {'target':>8} {'load':>6}")
    say(f"{'ours (whole pipeline)':28} {rate(ours):10.1f} {ours.seconds:9.1f} {'':>7} {'':>8} "
        f"{ours.peak:6.2f}")
    for name, phase, target in (("bare tesseract (limit)", tess, TARGET_TESSERACT),
                                ("bare ocrmypdf (peer)", peer, TARGET_OCRMYPDF)):
        ratio = rate(ours) / rate(phase)
        verdict = "ok" if ratio >= target else "MISSED"
        say(f"{name:28} {rate(phase):10.1f} {phase.seconds:9.1f} {ratio:7.2f} "
            f">={target:<4} {verdict:>2} {phase.peak:6.2f}")
    say(json.dumps(figures, ensure_ascii=False))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, ensure_ascii=False, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
