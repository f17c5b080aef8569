"""The heavy part of digitisation, free of ZODB: check a file, read its text
page by page, OCR what has no text, make the PDF/A-2b rendition.

``process(path, media_type, workdir, options)`` is the run phase of the
``ocr`` job and can be called on its own (tests, benchmarks).  It never
writes to ``path``: the original stays byte-identical.

A plain scan (every page one picture: scanner output, image files) goes
through ``scans``: one Tesseract pass per page, the text grafted onto the
untouched page, PDF/A-2b written and validated by pikepdf.  Every other
PDF goes through one OCRmyPDF run: Tesseract (``vie+eng``) on every page
without text, one page per core (``OMP_THREAD_LIMIT=1``, ``--jobs`` = cores),
pages turned upright and deskewed, PDF/A-2b output with an invisible text
layer.  The confidence of each page comes from that same run: OCRmyPDF
feeds Tesseract's hOCR (words with ``x_wconf``) to its renderer; run with
``--keep-temporary-files`` and ``TMPDIR`` set to our work directory, those
hOCR files stay there for us to read (no second OCR pass).  Pages that already
carry text (born-digital PDFs, ``--skip-text``) are read from the PDF itself.

Bad input is refused before any decoder sees it (``errors``): zero bytes, a
PDF that does not open or is encrypted, an image above the pixel limit (read
from its header only).
"""
import functools
import glob
import logging
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

from pyramid.settings import asbool

from ..i18n import _
from . import errors
from ..children import die_with_parent, kill_group

log = logging.getLogger(__name__)

PDF = "application/pdf"
IMAGES = ("image/tiff", "image/jpeg", "image/png")
ODT = "application/vnd.oasis.opendocument.text"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# the XML parts holding an office document's text (a trailing * matches a prefix):
# XLSX strings are shared (sharedStrings) or inline in the sheets (<is>)
XML_TEXT = {DOCX: ("word/document.xml",), ODT: ("content.xml",),
            XLSX: ("xl/sharedStrings.xml", "xl/worksheets/sheet*")}
MAX_XML_BYTES = 256 * 1024 * 1024   # unpacked, all the parts read: a zip bomb stops here

# PIL mode -> bits per pixel (colour depth)
DEPTH = {"1": 1, "L": 8, "P": 8, "LA": 16, "I;16": 16, "I": 32, "F": 32, "RGB": 24, "RGBA": 32,
         "CMYK": 32, "YCbCr": 24, "LAB": 24}
MODE_NAME = {1: "bilevel", 8: "gray", 24: "colour", 32: "colour"}

# OCRmyPDF exit codes (ocrmypdf.exceptions.ExitCode)
EXIT_INPUT_FILE = 2
EXIT_ALREADY_DONE = 6
EXIT_ENCRYPTED = 8
EXIT_PDFA_FAILED = 10


@dataclass
class Options:
    """The settings of a run (plain values, from the .ini: ``archive.ocr.*``)."""

    languages: str = "vie+eng"
    jobs: int = 0                  # 0: every core
    review_threshold: float = 70.0
    max_pixels: int = 90_000_000   # per image; refused before decoding
    max_pages: int = 2000
    default_dpi: int = 300         # for images that do not say their resolution
    timeout: int = 120             # seconds a page (a file gets pages x this + 300 s)
    rotate_threshold: float = 2.0  # Tesseract's orientation confidence needed to turn a page
    office_renditions: bool = True # DOCX/ODT/XLSX -> PDF/A-2b by LibreOffice, when installed

    @classmethod
    def from_settings(cls, settings):
        get = (settings or {}).get
        return cls(
            languages=get("archive.ocr.languages") or cls.languages,
            jobs=int(get("archive.ocr.jobs") or 0),
            review_threshold=float(get("archive.ocr.review_threshold") or cls.review_threshold),
            max_pixels=int(float(get("archive.ocr.max_megapixels") or cls.max_pixels / 1e6) * 1e6),
            max_pages=int(get("archive.ocr.max_pages") or cls.max_pages),
            default_dpi=int(get("archive.ocr.default_dpi") or cls.default_dpi),
            timeout=int(get("archive.ocr.timeout") or cls.timeout),
            rotate_threshold=float(get("archive.ocr.rotate_threshold") or cls.rotate_threshold),
            office_renditions=asbool(get("archive.ocr.office_renditions", "true")),
        )

    @property
    def cores(self):
        return self.jobs or os.cpu_count() or 1


@dataclass
class Page:
    number: int
    text: str
    confidence: float = None
    method: str = "ocr"          # "ocr" | "text-layer" | "extract"
    flagged: bool = False

    @classmethod
    def read(cls, number, text, confidence, options):
        """A page Tesseract read, flagged for review below the threshold."""
        flagged = confidence is not None and confidence < options.review_threshold
        return cls(number, text, confidence, "ocr", flagged)


@dataclass
class Result:
    """What the run phase found; ``store`` turns it into persistent state."""

    status: str = "done"                     # "done" | "not_needed"
    pages: list = field(default_factory=list)
    method: str = None
    dpi: int = None
    colour_depth: int = None
    colour_mode: str = None
    page_count: int = None
    rendition_path: str = None
    rendition_status: str = "not_needed"     # "done" | "failed" | "not_needed"
    rendition_note: str = ""
    rendition_pdfa: bool = None
    seconds: float = 0.0
    ocr_seconds: float = 0.0
    ocr_pages: int = 0
    engine: str = ""

    def rendition_made(self, path, pdfa=True, note=""):
        self.rendition_path = path
        self.rendition_status = "done"
        self.rendition_pdfa = pdfa
        self.rendition_note = note


# --------------------------------------------------------------------------- checks

@dataclass
class Facts:
    kind: str                    # "pdf" | "image" | "office" | "other"
    page_count: int = None
    dpi: int = None
    colour_depth: int = None
    colour_mode: str = None
    page_texts: list = field(default_factory=list)   # a PDF's text layer, page by page
    image_dpi: int = None        # an image's own resolution, None when not credible
    needs_rgb: bool = False      # an image img2pdf cannot take as it is (alpha, 16 bit)


def inspect(path, media_type, options):
    """The facts of a file, checked before anything decodes it.  Raises a
    ``DigitiseError`` subclass for input that cannot be digitised."""
    if os.path.getsize(path) == 0:
        raise errors.EmptyInput()
    if media_type == PDF:
        return _inspect_pdf(path, options)
    if media_type in IMAGES:
        return _inspect_image(path, options)
    if media_type in XML_TEXT:
        return Facts("office")
    return Facts("other")


def _depth(mode):
    return DEPTH.get(mode)


def _summarise(facts, dpis, depths):
    dpis = [d for d in dpis if d]
    depths = [d for d in depths if d]
    # the weakest page decides whether the scan meets the rule (>= 200 dpi)
    facts.dpi = int(round(min(dpis))) if dpis else None
    facts.colour_depth = max(depths) if depths else None
    facts.colour_mode = MODE_NAME.get(facts.colour_depth) if facts.colour_depth else None
    return facts


def _too_large(pixels, options):
    if pixels > options.max_pixels:
        raise errors.ImageTooLarge(mapping={"pixels": f"{pixels / 1e6:.0f}",
                                            "limit": f"{options.max_pixels / 1e6:.0f}"})


def _inspect_image(path, options):
    import warnings

    from PIL import Image

    dpis, depths = [], []
    facts = Facts("image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)  # reads the header only; our limit is checked below
        with im:
            frames = getattr(im, "n_frames", 1)
            if frames > options.max_pages:
                raise errors.TooManyPages(mapping={"pages": frames, "limit": options.max_pages})
            credible = True
            for index in range(frames):
                if index:
                    im.seek(index)  # the next frame's header, no pixels
                _too_large(im.width * im.height, options)
                dpi = im.info.get("dpi")
                x = float(dpi[0]) if dpi else 0.0
                if x <= 96:
                    credible = False
                dpis.append(x if x > 96 else None)
                depths.append(_depth(im.mode))
                if im.mode not in ("1", "L", "RGB", "CMYK", "P") or "transparency" in im.info:
                    facts.needs_rgb = True
            facts.page_count = frames
            facts.image_dpi = int(round(min(d for d in dpis))) if credible and dpis else None
    except errors.DigitiseError:
        raise
    except Image.DecompressionBombError:
        raise errors.ImageTooLarge(mapping={"pixels": "> 2 × %d" % (Image.MAX_IMAGE_PIXELS // 10 ** 6),
                                            "limit": f"{options.max_pixels / 1e6:.0f}"})
    except Exception as exc:
        log.info("unreadable image %s: %s", path, exc)
        raise errors.CorruptImage()
    return _summarise(facts, dpis, depths)


def _inspect_pdf(path, options):
    import pikepdf

    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise errors.EncryptedPdf()
    except Exception as exc:
        log.info("unreadable PDF %s: %s", path, exc)
        raise errors.CorruptPdf()
    with pdf:
        if pdf.is_encrypted:
            raise errors.EncryptedPdf()
        try:
            count = len(pdf.pages)
            if count == 0:
                raise errors.CorruptPdf()
            if count > options.max_pages:
                raise errors.TooManyPages(mapping={"pages": count, "limit": options.max_pages})
            dpis, depths = [], []
            for page in pdf.pages:
                dpi, depth = _page_image_facts(page, options)
                dpis.append(dpi)
                depths.append(depth)
        except errors.DigitiseError:
            raise
        except Exception as exc:
            log.info("unreadable PDF %s: %s", path, exc)
            raise errors.CorruptPdf()
    facts = Facts("pdf", page_count=count, page_texts=pdf_page_texts(path))
    return _summarise(facts, dpis, depths)


def _page_image_facts(page, options):
    """(dpi, colour depth) of the largest image of a page, from the PDF's
    dictionaries only (no image is decoded); (None, None) without images."""
    import pikepdf

    best = None
    images = page.get_images() if hasattr(page, "get_images") else page.images
    for _name, image in images.items():
        try:
            width, height = int(image.Width), int(image.Height)
        except (AttributeError, TypeError, ValueError):
            continue
        _too_large(width * height, options)
        if best is None or width * height > best[0] * best[1]:
            best = (width, height, image)
    if best is None:
        return None, None
    width, _height, image = best
    try:
        box = page.mediabox
        page_width_in = abs(float(box[2]) - float(box[0])) / 72.0
    except Exception:
        page_width_in = 0
    dpi = width / page_width_in if page_width_in else None
    try:
        depth = _depth(pikepdf.PdfImage(image).mode)
    except Exception:
        depth = None
    return dpi, depth


# --------------------------------------------------------------------------- text

def pdf_page_texts(path, limit=None):
    """The text layer of each page of a PDF ("" for a page without)."""
    from pypdf import PdfReader

    out = []
    try:
        with open(path, "rb") as fh:
            reader = PdfReader(fh, strict=False)
            for index, page in enumerate(reader.pages):
                if limit is not None and index >= limit:
                    break
                try:
                    out.append(page.extract_text() or "")
                except Exception:
                    out.append("")
    except Exception as exc:
        log.info("no text layer read from %s: %s", path, exc)
    return [_clean(text) for text in out]


def _clean(text):
    import unicodedata

    text = unicodedata.normalize("NFC", text or "")
    text = text.replace("\x00", "")
    return re.sub(r"[ \t]+\n", "\n", text).strip()


def zip_xml_text(source, members):
    """The text of the paragraphs (DOCX w:p, ODT text:p / text:h), shared
    strings (XLSX si) and inline strings (XLSX is) of the XML ``members`` of a
    zip file (a path or a binary file object), one per line."""
    out, unpacked = [], 0
    with zipfile.ZipFile(source) as archive:
        names = archive.namelist()
        for member in members:
            if member.endswith("*"):
                chosen = sorted(n for n in names if n.startswith(member[:-1]) and n.endswith(".xml"))
            else:
                chosen = [member] if member in names else []
            for name in chosen:
                # the size the zip declares bounds what reading unpacks (zipfile
                # stops there, and a lie fails the CRC check)
                unpacked += archive.getinfo(name).file_size
                if unpacked > MAX_XML_BYTES:
                    raise errors.OfficeTooLarge(mapping={"limit": MAX_XML_BYTES // 2 ** 20})
                root = ElementTree.fromstring(archive.read(name))
                for element in root.iter():
                    if element.tag.rsplit("}", 1)[-1] in ("p", "h", "si", "is"):
                        text = "".join(element.itertext()).strip()
                        if text:
                            out.append(text)
    return "\n".join(out)


def office_text(path, media_type):
    return _clean(zip_xml_text(path, XML_TEXT[media_type]))


_WCONF = re.compile(r"x_wconf\s+(\d+)")
# the hOCR elements that are lines of text
LINE_CLASSES = ("ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat")


def hocr_page(path):
    """(text, confidence) of one page of Tesseract's hOCR file."""
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        confs = [int(c) for c in _WCONF.findall(data.decode("utf-8", "replace"))]
        return "", (sum(confs) / len(confs) if confs else None)
    return hocr_text(root)


def hocr_text(root):
    """(text, confidence) of an hOCR page (or document) element: the words
    line by line, and the mean word confidence (0-100; None without words)."""
    lines, confs = [], []
    for element in root.iter():
        cls = element.get("class", "")
        if cls in LINE_CLASSES:
            words = []
            for word in element.iter():
                if word.get("class") == "ocrx_word":
                    text = "".join(word.itertext()).strip()
                    if not text:
                        continue
                    words.append(text)
                    match = _WCONF.search(word.get("title", ""))
                    if match:
                        confs.append(int(match.group(1)))
            if words:
                lines.append(" ".join(words))
        elif cls == "ocr_par" and lines and lines[-1] != "":
            lines.append("")
    text = _clean("\n".join(lines))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text, (round(sum(confs) / len(confs), 1) if confs else None)


# --------------------------------------------------------------------------- OCRmyPDF

WARM_MODULES = ("img2pdf", "pikepdf.pdfa", "pypdf", "PIL.TiffImagePlugin",
                "archive.digitise.office", "archive.digitise.pdfa", "archive.digitise.scans")


def warm():
    """Import what a run needs and ask Tesseract its version, ahead of the
    first job (``archive.jobs.Worker.warm``)."""
    import importlib

    for name in WARM_MODULES:
        importlib.import_module(name)
    tesseract_version()


def _version(module):
    try:
        return __import__(module).__version__
    except Exception:
        return "?"


@functools.lru_cache(maxsize=1)
def tesseract_version():
    try:
        out = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, timeout=30)
        return (out.stdout or out.stderr).split("\n", 1)[0].strip()
    except Exception:
        return "tesseract ?"


def engine_versions(path="ocrmypdf"):
    """What read the file and made its rendition: OCRmyPDF; or, for a plain
    scan, Tesseract and pikepdf; for an office document, LibreOffice and
    pikepdf; for a born-digital PDF, pikepdf."""
    pdfa = f"pikepdf {_version('pikepdf')} (PDF/A-2b)"
    return {"scan": f"{tesseract_version()}; {pdfa}", "office": f"LibreOffice; {pdfa}",
            "pdf": pdfa}.get(path) or f"OCRmyPDF {_version('ocrmypdf')}; {tesseract_version()}"


def remove_work(path):
    """Remove a run's work folder, unless ARCHIVE_OCR_KEEP asks to keep it
    (when debugging)."""
    if path and not os.environ.get("ARCHIVE_OCR_KEEP"):
        shutil.rmtree(path, ignore_errors=True)


def ocrmypdf_command(source, output, options, facts):
    cmd = [sys.executable, "-m", "ocrmypdf",
           "-l", options.languages,
           "--output-type", "pdfa-2",
           "--rotate-pages", "--deskew",
           "--jobs", str(options.cores),
           "--max-image-mpixels", str(max(1, options.max_pixels // 10 ** 6)),
           "--keep-temporary-files"]
    if facts.kind == "pdf" and any(text.strip() for text in facts.page_texts):
        # keep the text that is there; Ghostscript 10.0-10.02 corrupts such
        # files, so PDF/A is made by pikepdf (validated as it writes)
        cmd += ["--skip-text", "--pdfa-backend", "internal"]
    elif facts.image_dpi is None:
        cmd += ["--image-dpi", str(options.default_dpi)]
    return cmd + [source, output]


def run_ocrmypdf(source, output, workdir, options, facts, progress=None):
    """Run OCRmyPDF in a child process; returns (returncode, work folder, log
    text).  Its temporary files land in ``workdir`` (``TMPDIR``) and stay."""
    tmp = os.path.join(workdir, "ocrmypdf-tmp")
    os.makedirs(tmp, exist_ok=True)
    env = dict(os.environ, OMP_THREAD_LIMIT="1", TMPDIR=tmp, PYTHONIOENCODING="utf-8")
    log_path = os.path.join(workdir, "ocrmypdf.log")
    total = facts.page_count or 0
    limit = options.timeout * max(1, total) + 300
    started = time.monotonic()
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(ocrmypdf_command(source, output, options, facts), env=env,
                                   stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, preexec_fn=die_with_parent())
        try:
            done_before = -1
            while True:
                try:
                    process.wait(timeout=1.0)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if time.monotonic() - started > limit:
                    kill_group(process)
                    raise errors.OcrTimeout(mapping={"seconds": limit})
                if progress is not None and total:
                    done = len(glob.glob(os.path.join(tmp, "ocrmypdf.io.*", "*_ocr_hocr.hocr")))
                    if done != done_before:
                        done_before = done
                        progress(min(done, total), total)
        except BaseException:
            kill_group(process)
            raise
    with open(log_path, "rb") as fh:
        text = fh.read().decode("utf-8", "replace")
    folders = glob.glob(os.path.join(tmp, "ocrmypdf.io.*"))
    return process.returncode, (folders[0] if folders else None), text


def _refusal(log_text):
    """The last error line OCRmyPDF printed, for the archivist."""
    lines = [line.strip() for line in log_text.splitlines() if line.strip()]
    for line in reversed(lines):
        if "error" in line.lower() or "signature" in line.lower():
            return line[:300]
    return lines[-1][:300] if lines else ""


def _to_rgb(path, workdir):
    from PIL import Image

    out = os.path.join(workdir, "input-rgb.tif")
    with Image.open(path) as im:
        frames = []
        for index in range(getattr(im, "n_frames", 1)):
            im.seek(index)
            frame = im.convert("RGB")
            frames.append(frame)
        dpi = im.info.get("dpi")
    kwargs = {"dpi": dpi} if dpi else {}
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw", **kwargs)
    return out


# --------------------------------------------------------------------------- the run

def process(path, media_type, workdir, options=None, progress=None):
    """Digitise the file at ``path`` (never modified).  Returns a ``Result``;
    raises a ``DigitiseError`` for input that cannot be digitised, and any
    other exception for a failure worth retrying."""
    options = options or Options()
    started = time.monotonic()
    facts = inspect(path, media_type, options)
    result = Result(dpi=facts.dpi, colour_depth=facts.colour_depth, colour_mode=facts.colour_mode,
                    page_count=facts.page_count)
    if facts.kind == "office":
        try:
            text = office_text(path, media_type)
        except errors.DigitiseError:
            raise
        except Exception as exc:
            log.info("no text from %s: %s", path, exc)
            raise errors.DigitiseError(_("Tệp văn phòng bị hỏng, không đọc được nội dung."))
        result.pages = [Page(1, text, None, "extract")]
        result.method = "extract"
        _office_rendition(path, media_type, workdir, options, result)
    elif facts.kind == "other":
        result.status = "not_needed"
    else:
        _ocr(path, facts, workdir, options, result, progress)
    result.seconds = time.monotonic() - started
    return result


def _ocr(path, facts, workdir, options, result, progress):
    text_layer = facts.page_texts
    has_text = [bool(t.strip()) for t in text_layer] + [False] * ((facts.page_count or 0) - len(text_layer))
    source = path
    if facts.kind == "image" and facts.needs_rgb:
        source = _to_rgb(path, workdir)
    output = os.path.join(workdir, "rendition.pdf")
    ocr_started = time.monotonic()
    if not any(has_text) and _scan(source, facts, workdir, options, result, progress, output):
        result.ocr_seconds = time.monotonic() - ocr_started
        return
    if has_text and all(has_text) and _born_digital(path, facts, result, output):
        return
    code, folder, log_text = run_ocrmypdf(source, output, workdir, options, facts, progress)
    result.ocr_seconds = time.monotonic() - ocr_started
    result.engine = engine_versions()
    pages, missing = [], 0
    for number in range(1, (facts.page_count or 0) + 1):
        hocr = os.path.join(folder, f"{number:06d}_ocr_hocr.hocr") if folder else None
        if hocr and os.path.exists(hocr):
            pages.append(Page.read(number, *hocr_page(hocr), options))
            result.ocr_pages += 1
        elif has_text[number - 1]:
            pages.append(Page(number, text_layer[number - 1], None, "text-layer"))
        else:
            missing += 1
            pages.append(Page(number, "", None, "ocr"))
    if code in (0, EXIT_PDFA_FAILED) and os.path.exists(output):
        result.rendition_made(output, code == 0, "" if code == 0 else
                              _("OCRmyPDF không xác nhận được bản chuyển đổi đạt PDF/A."))
    elif missing and code == EXIT_ENCRYPTED:
        raise errors.EncryptedPdf()
    elif missing and code in (EXIT_INPUT_FILE, EXIT_ALREADY_DONE):
        raise errors.OcrRefused(mapping={"reason": _refusal(log_text)})
    elif missing:
        raise RuntimeError(f"ocrmypdf exited with {code}: {_refusal(log_text)}")
    else:
        # every page's text is there (its text layer, or OCR that finished
        # before the conversion failed): keep it, and say why there is no PDF/A
        result.rendition_status = "failed"
        reason = _refusal(log_text)
        if "signature" in log_text.lower():
            result.rendition_note = _("Tệp PDF có chữ ký số: không tạo bản PDF/A để không làm mất hiệu lực chữ ký; "
                                      "bản gốc được giữ nguyên.")
        else:
            result.rendition_note = _("Không chuyển được sang PDF/A: ${reason}", mapping={"reason": reason})
        log.warning("no PDF/A rendition of %s (exit %s): %s", path, code, reason)
    result.pages = pages
    kinds = {page.method for page in pages}
    result.method = kinds.pop() if len(kinds) == 1 else "mixed"
    remove_work(folder)


def _scan(source, facts, workdir, options, result, progress, output):
    """A plain scan through ``scans`` (True), or False for OCRmyPDF."""
    from .scans import ScanRun, Unsuitable

    media_type = PDF if facts.kind == "pdf" else "image"
    run = ScanRun(source, media_type, facts, options, workdir, hocr_text, progress)
    try:
        pages = run.run(output)
    except Unsuitable as exc:
        log.info("not a plain scan, OCRmyPDF takes it: %s", exc)
        return False
    finally:
        remove_work(run.folder)
    result.engine = engine_versions("scan")
    result.pages = [Page.read(number, text, confidence, options)
                    for number, (text, confidence) in enumerate(pages, start=1)]
    result.ocr_pages = len(pages)
    result.method = "ocr"
    result.rendition_made(output)
    return True


def _office_rendition(path, media_type, workdir, options, result):
    """A PDF/A-2b rendition of an office document by LibreOffice, or the
    reason why there is none."""
    from . import office

    result.rendition_status = "not_needed"
    result.rendition_note = _("Chưa có bộ chuyển đổi loại tệp này sang PDF/A trên máy chủ; tệp gốc được giữ nguyên.")
    if not options.office_renditions:
        return
    output = os.path.join(workdir, "rendition.pdf")
    try:
        confirmed, note = office.convert(path, media_type, workdir, output, options.timeout + 120)
    except office.NoConverter:
        return
    except errors.DigitiseError as exc:
        result.rendition_status = "failed"
        result.rendition_note = exc.message
        return
    finally:
        remove_work(os.path.join(workdir, "office"))
    result.engine = engine_versions("office")
    result.rendition_made(output, confirmed, note)


def _born_digital(path, facts, result, output):
    """A PDF with text on every page: its text layer, and the PDF itself
    declared PDF/A-2b when pikepdf's validator passes it (True); False for
    OCRmyPDF, which tries harder."""
    from . import pdfa

    if not pdfa.declare(path, output):
        return False
    result.engine = engine_versions("pdf")
    result.pages = [Page(number, text, None, "text-layer")
                    for number, text in enumerate(facts.page_texts, start=1)]
    result.method = "text-layer"
    result.rendition_made(output)
    return True
