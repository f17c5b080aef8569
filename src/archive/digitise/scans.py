"""Scans: one Tesseract pass per page, its invisible text grafted onto the
untouched original page, PDF/A-2b written and validated by pikepdf.

The backlog is scanner output: image-only PDFs and image files whose pages
are one picture each.  For those the run costs little more than Tesseract
itself (``bench/ocr.py``):

- the page images are read out of the PDF as they are (no rasterising) and
  handed to Tesseract with their resolution: a scanner's JPEG byte for byte,
  anything else as an uncompressed TIFF;
- one ``tesseract`` process per core reads a list of pages (a chunk), so its
  models are loaded once per chunk, and writes hOCR (the text, word
  confidences, line geometry) and a text-only PDF (``textonly_pdf``) in the
  same pass;
- orientation and skew come from that pass: a page whose lines stand upright
  or whose confidence is low gets Tesseract's orientation detection
  (``--psm 0``) and, when that says so, a second pass on the turned image,
  kept only if it reads better; skew is the median slope of the baselines;
- each output page is the original page (its image bytes untouched) with the
  text page as a form XObject over the picture; turning is the page's
  ``/Rotate``, deskewing a rotation of the page's content about its centre:
  nothing is resampled, and the text stays over its words;
- ``pikepdf.pdfa.save`` declares PDF/A-2b (sRGB output intent, XMP) and
  validates the bytes it wrote.

Anything else (pages with text, vector drawings, several images, an image
drawn turned, a file pikepdf's validator refuses) raises ``Unsuitable`` and
the engine hands the file to OCRmyPDF, which handles every PDF.
"""
import logging
import math
import os
import re
import statistics
import struct
import subprocess
import time

from PIL import Image

from ..children import die_with_parent, kill_group
from . import errors, pdfa
from .engine import LINE_CLASSES

log = logging.getLogger(__name__)

SIMPLE_OPERATORS = {"q", "Q", "cm", "Do"}
IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
# the unit square of an image turned clockwise by r degrees -> the unit square as drawn
TURN = {0: IDENTITY, 90: (0.0, 1.0, -1.0, 0.0, 1.0, 0.0), 180: (-1.0, 0.0, 0.0, -1.0, 1.0, 1.0),
        270: (0.0, -1.0, 1.0, 0.0, 0.0, 1.0)}
MAX_DESKEW = 15.0      # degrees; a larger median slope is not skew
MIN_DESKEW = 0.05
LEVEL_BEFORE_OCR = 1.0  # degrees of skew from which a page is read again, levelled


class Unsuitable(Exception):
    """The file is not a plain scan: OCRmyPDF takes it."""


# clockwise degrees -> PIL's transposition (PIL turns counter-clockwise)
TRANSPOSE = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
             270: Image.Transpose.ROTATE_90}


def multiply(m, n):
    """The matrix applying ``m`` then ``n`` (PDF's row-vector convention)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)


def rotation_about(angle_degrees, cx, cy):
    rad = math.radians(angle_degrees)
    cos, sin = math.cos(rad), math.sin(rad)
    return multiply(multiply((1, 0, 0, 1, -cx, -cy), (cos, sin, -sin, cos, 0, 0)), (1, 0, 0, 1, cx, cy))


def fmt(matrix):
    return " ".join(f"{v:.6f}" for v in matrix)


# --------------------------------------------------------------------------- the pages

def base_pdf(path, media_type, facts, options, workdir):
    """The PDF the rendition is made from: the file itself, or an image file
    put into a PDF without re-encoding (img2pdf)."""
    if facts.kind == "pdf":
        return path
    import img2pdf

    dpi = facts.image_dpi or options.default_dpi
    out = os.path.join(workdir, "base.pdf")
    try:
        with open(out, "wb") as fh:
            img2pdf.convert(path, outputstream=fh,
                            layout_fun=img2pdf.get_fixed_dpi_layout_fun((dpi, dpi)),
                            rotation=img2pdf.Rotation.ifvalid)
    except Exception as exc:
        raise Unsuitable(f"img2pdf: {exc}")
    return out


def image_placement(page):
    """(image object, matrix drawing its unit square) of a page that only
    draws one picture, upright; else ``Unsuitable``."""
    import pikepdf

    ctm, stack, drawn = IDENTITY, [], None
    try:
        instructions = pikepdf.parse_content_stream(page)
    except Exception as exc:
        raise Unsuitable(f"content stream: {exc}")
    for operands, operator in instructions:
        op = str(operator)
        if op not in SIMPLE_OPERATORS:
            raise Unsuitable(f"operator {op}")
        if op == "q":
            stack.append(ctm)
        elif op == "Q":
            ctm = stack.pop() if stack else IDENTITY
        elif op == "cm":
            ctm = multiply(tuple(float(v) for v in operands), ctm)
        else:
            if drawn is not None:
                raise Unsuitable("more than one picture")
            try:
                xobject = page.Resources.XObject[operands[0]]
            except (AttributeError, KeyError, IndexError, TypeError):
                raise Unsuitable("a picture the page does not have")
            if xobject.get("/Subtype") != "/Image" or xobject.get("/ImageMask", False):
                raise Unsuitable("form XObject or stencil mask")
            drawn = (xobject, ctm)
    if drawn is None:
        raise Unsuitable("no picture")
    a, b, c, d, _e, _f = drawn[1]
    if abs(b) > 1e-6 or abs(c) > 1e-6 or a <= 0 or d <= 0:
        raise Unsuitable("picture drawn turned or mirrored")
    return drawn


def page_rotation(page):
    try:
        turn = int(page.obj.get("/Rotate", 0)) % 360
    except (TypeError, ValueError):
        return 0
    if turn not in TURN:
        raise Unsuitable(f"/Rotate {turn}")
    return turn


def extract_page(image, matrix, turn, base, raw_ok=True):
    """Write the page's picture for Tesseract, turned clockwise by ``turn``
    degrees, with its resolution on the page; returns (path, dpi).

    A plain JPEG (DCT, grey or RGB, 8 bits) that needs no turning is written
    as it is, its JFIF density set to the page's resolution: no decoding and
    encoding again.  Anything else becomes an uncompressed TIFF."""
    import pikepdf

    try:
        width = int(image.Width)
    except (AttributeError, TypeError, ValueError):
        raise Unsuitable("picture without a width")
    dpi = width / (matrix[0] / 72.0)
    dpi = int(round(dpi)) if 50 <= dpi <= 2400 else 300
    if raw_ok and not turn and _plain_jpeg(image):
        path = base + ".jpg"
        with open(path, "wb") as fh:
            fh.write(jfif_with_density(image.read_raw_bytes(), dpi))
        return path, dpi
    try:
        pil = pikepdf.PdfImage(image).as_pil_image()
    except Exception as exc:
        raise Unsuitable(f"picture not decodable: {exc}")
    if pil.mode not in ("1", "L", "RGB"):
        pil = pil.convert("RGB")
    if turn:
        pil = pil.transpose(TRANSPOSE[turn])
    path = base + ".tif"
    pil.save(path, "TIFF", dpi=(dpi, dpi))
    return path, dpi


def _plain_jpeg(image):
    return (image.get("/Filter") in ("/DCTDecode", ["/DCTDecode"])
            and image.get("/ColorSpace") in ("/DeviceGray", "/DeviceRGB")
            and int(image.get("/BitsPerComponent", 8)) == 8
            and "/Decode" not in image and "/SMask" not in image and "/Mask" not in image)


def jfif_with_density(data, dpi):
    """The JPEG ``data`` with a JFIF segment saying ``dpi`` (set in the one
    it has, or put first if it has none)."""
    density = struct.pack(">BHH", 1, dpi, dpi)   # units: dots per inch
    if data[2:4] == b"\xff\xe0" and data[6:11] == b"JFIF\x00":
        return data[:13] + density + data[18:]
    segment = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x02" + density + b"\x00\x00"
    return data[:2] + segment + data[2:]


# --------------------------------------------------------------------------- Tesseract

class Reader:
    """Tesseract over chunks of pages, one process per core.

    Each process reads a list of up to ``CHUNK`` page images (its models
    loaded once) and writes hOCR and a text-only PDF.  The images of the next
    chunk are written while the running chunks are read, and a chunk's
    images can go as soon as it is read: a 2,000-page file never has more
    than a few chunks of images on disk."""

    CHUNK = 8

    def __init__(self, options, workdir, deadline, limit):
        self.options, self.workdir = options, workdir
        self.deadline, self.limit = deadline, limit
        self.runs = 0

    def read(self, pages, prepare, done, progress=None):
        """``prepare(page)`` writes a page's image and returns its path;
        ``done(page, hocr_page_element, text_pdf_path, index_in_it)`` takes
        each result.  Raises ``Unsuitable`` if Tesseract fails."""
        cores = max(1, self.options.cores)
        size = max(1, min(self.CHUNK, -(-len(pages) // cores)))
        pending = [pages[i:i + size] for i in range(0, len(pages), size)]
        pending.reverse()
        running, finished, reported = [], 0, -1
        try:
            while pending or running:
                while pending and len(running) < cores:
                    running.append(self._start(pending.pop(), prepare))
                if time.monotonic() > self.deadline:
                    raise errors.OcrTimeout(mapping={"seconds": self.limit})
                still = []
                for run in running:
                    if run["process"].poll() is None:
                        still.append(run)
                    else:
                        self._finish(run, done)
                        finished += len(run["pages"])
                running = still
                if progress is not None:
                    now = finished + sum(_started(run) for run in running)
                    if now != reported:
                        reported = now
                        progress(now)
                if running and len(still) == len(running):
                    time.sleep(0.1)
        except BaseException:
            for run in running:
                kill_group(run["process"])
                run["log"].close()
            raise

    def _start(self, chunk, prepare):
        self.runs += 1
        base = os.path.join(self.workdir, f"tesseract-{self.runs:05d}")
        with open(base + ".txt", "w", encoding="utf-8") as fh:
            fh.write("".join(prepare(page) + "\n" for page in chunk))
        log_file = open(base + ".log", "wb")
        process = subprocess.Popen(
            ["tesseract", base + ".txt", base, "-l", self.options.languages,
             "-c", "textonly_pdf=1", "hocr", "pdf"],
            env=dict(os.environ, OMP_THREAD_LIMIT="1"), stdout=log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent())
        return {"pages": chunk, "base": base, "process": process, "log": log_file}

    def _finish(self, run, done):
        from xml.etree import ElementTree

        run["log"].close()
        base = run["base"]
        if run["process"].returncode != 0:
            raise Unsuitable(f"tesseract exited with {run['process'].returncode}: {_tail(base + '.log')}")
        try:
            root = ElementTree.parse(base + ".hocr").getroot()
        except (OSError, ElementTree.ParseError) as exc:
            raise Unsuitable(f"hOCR unreadable: {exc}")
        found = [el for el in root.iter() if el.get("class") == "ocr_page"]
        if len(found) != len(run["pages"]):
            raise Unsuitable(f"hOCR has {len(found)} pages for {len(run['pages'])}")
        for index, (page, element) in enumerate(zip(run["pages"], found)):
            done(page, element, base + ".pdf", index)


def _started(run):
    """Pages of a running chunk read so far (Tesseract says "Page N" as it
    starts each)."""
    try:
        with open(run["base"] + ".log", "rb") as fh:
            return max(0, fh.read().count(b"Page ") - 1)
    except OSError:
        return 0


def _tail(path):
    try:
        with open(path, "rb") as fh:
            return fh.read()[-300:].decode("utf-8", "replace").strip()
    except OSError:
        return ""


_ROTATE = re.compile(r"Rotate:\s*(\d+)")
_ORIENT_CONF = re.compile(r"Orientation confidence:\s*([\d.]+)")


def detect_orientation(image, options):
    """Tesseract's orientation detection of one page: (clockwise degrees that
    make it upright, confidence), (0, 0.0) when it cannot tell."""
    try:
        out = subprocess.run(["tesseract", image, "stdout", "--psm", "0", "-l", "osd"],
                             env=dict(os.environ, OMP_THREAD_LIMIT="1"), capture_output=True,
                             text=True, timeout=options.timeout, preexec_fn=die_with_parent())
    except subprocess.TimeoutExpired:
        return 0, 0.0
    turn, conf = _ROTATE.search(out.stdout), _ORIENT_CONF.search(out.stdout)
    if out.returncode != 0 or not turn or not conf:
        return 0, 0.0
    return int(turn.group(1)) % 360, float(conf.group(1))


# --------------------------------------------------------------------------- hOCR geometry

_BBOX = re.compile(r"bbox\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)")
_BASELINE = re.compile(r"baseline\s+(-?[\d.]+)\s")


def line_geometry(page_element):
    """(share of words on lines standing upright, median baseline slope of
    the lying lines or None)."""
    upright = lying = 0
    slopes = []
    for element in page_element.iter():
        if element.get("class") not in LINE_CLASSES:
            continue
        words = sum(1 for w in element.iter() if w.get("class") == "ocrx_word"
                    and "".join(w.itertext()).strip())
        if not words:
            continue
        title = element.get("title", "")
        box = _BBOX.search(title)
        if box is None:
            continue
        x0, y0, x1, y1 = (int(v) for v in box.groups())
        if (y1 - y0) > (x1 - x0):
            upright += words
            continue
        lying += words
        slope = _BASELINE.search(title)
        if slope is not None and words >= 3:
            slopes.append(float(slope.group(1)))
    total = upright + lying
    return (upright / total if total else 0.0), (statistics.median(slopes) if slopes else None)


def deskew_angle(slope):
    """Degrees (counter-clockwise) that level baselines of ``slope`` (image
    coordinates, y down); 0 when the slope is no skew."""
    if slope is None:
        return 0.0
    angle = math.degrees(math.atan(slope))
    return angle if MIN_DESKEW <= abs(angle) <= MAX_DESKEW else 0.0


# --------------------------------------------------------------------------- the run

class ScanRun:
    """OCR of a plain scan and its rendition (see the module's text)."""

    def __init__(self, path, media_type, facts, options, workdir, read_page, progress=None):
        self.path, self.media_type, self.facts = path, media_type, facts
        self.options, self.workdir = options, workdir
        self.read_page = read_page      # hOCR page element -> (text, confidence)
        self.progress = progress
        self.folder = os.path.join(workdir, "scan-pages")

    def run(self, output):
        """Returns [(text, confidence)] per page and writes the PDF/A-2b
        rendition to ``output``; raises ``Unsuitable`` for OCRmyPDF."""
        import pikepdf

        os.makedirs(self.folder, exist_ok=True)
        limit = self.options.timeout * max(1, self.facts.page_count or 0) + 300
        reader = Reader(self.options, self.workdir, time.monotonic() + limit, limit)
        source = base_pdf(self.path, self.media_type, self.facts, self.options, self.workdir)
        try:
            pdf = pikepdf.open(source)
        except Exception as exc:
            raise Unsuitable(f"pikepdf: {exc}")
        with pdf:
            pages = []
            for number, page_obj in enumerate(pdf.pages, start=1):
                image, matrix = image_placement(page_obj)   # every page, before any OCR
                pages.append({"number": number, "image": image, "matrix": matrix,
                              "turn": page_rotation(page_obj)})
            def report(done):
                self.progress(min(done, len(pages)), len(pages))
            reader.read(pages, self._extract, self._first_read,
                        report if self.progress is not None else None)
            self._second_pass(reader, pages)
            self._compose(pdf, pages)
            self._save_pdfa(pdf, output)
        return [(p["text"], p["confidence"]) for p in pages]

    def _extract(self, page, turn=None, suffix="", raw_ok=True):
        """Write the page's picture for Tesseract (turned by ``turn``, by
        default the page's own turn); its path."""
        path, page["dpi"] = extract_page(page["image"], page["matrix"],
                                         page["turn"] if turn is None else turn,
                                         os.path.join(self.folder, f"{page['number']:06d}{suffix}"),
                                         raw_ok)
        page.setdefault("written", []).append(path)
        return path

    def _reading(self, element, text_pdf, index):
        """What one pass read of a page: its text, confidence, line geometry
        and where its text page is."""
        text, confidence = self.read_page(element)
        upright, slope = line_geometry(element)
        return {"hocr": element, "text_pdf": text_pdf, "text_index": index, "text": text,
                "confidence": confidence, "upright": upright, "skew": deskew_angle(slope)}

    def _first_read(self, page, element, text_pdf, index):
        self._forget_images(page)   # a second pass, if any, writes it again: disk stays small
        page.update(self._reading(element, text_pdf, index), levelled=False)

    @staticmethod
    def _forget_images(page):
        for path in page.pop("written", ()):
            os.remove(path)

    def _doubtful(self, page):
        """Lines standing upright, or a low confidence: maybe turned."""
        if not page["text"].strip():
            return False              # a blank page: nothing to turn
        return (page["upright"] > 0.5
                or (page["confidence"] or 0) < self.options.review_threshold)

    @staticmethod
    def _score(upright_share, confidence):
        """How well a pass read a page: its confidence, counting only the
        words on lying lines (a page read sideways scores low)."""
        return (confidence or 0) * (1 - upright_share)

    def _orientation(self, page):
        path = self._extract(page, suffix="-osd")
        try:
            return detect_orientation(path, self.options)
        finally:
            self._forget_images(page)

    def _second_pass(self, reader, pages):
        """Read again, from a better image, the pages that seem turned (as
        Tesseract's orientation detection says) or skewed by a degree or
        more (levelled); keep the pass that read better."""
        from concurrent.futures import ThreadPoolExecutor

        doubtful = [page for page in pages if self._doubtful(page)]
        with ThreadPoolExecutor(max(1, self.options.cores)) as pool:   # one detection per core
            found = dict(zip((p["number"] for p in doubtful), pool.map(self._orientation, doubtful)))
        retry = []
        for page in pages:
            turn, confidence = found.get(page["number"], (0, 0.0))
            if confidence < self.options.rotate_threshold:
                turn = 0
            skew = 0.0 if turn else page["skew"]
            if turn or abs(skew) >= LEVEL_BEFORE_OCR:
                page["again"] = (turn, skew)
                retry.append(page)
        if retry:
            reader.read(retry, self._better_image, self._second_read)

    def _better_image(self, page):
        turn, skew = page["again"]
        path = self._extract(page, (page["turn"] + turn) % 360, "-2", raw_ok=False)
        if skew:
            with Image.open(path) as im:
                if im.mode == "1":
                    im = im.convert("L")
                white = 255 if im.mode == "L" else (255, 255, 255)
                im.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=white).save(
                    path, "TIFF", dpi=(page["dpi"],) * 2)
        return path

    def _second_read(self, page, element, text_pdf, index):
        self._forget_images(page)
        again = self._reading(element, text_pdf, index)
        if self._score(again["upright"], again["confidence"]) <= self._score(page["upright"],
                                                                             page["confidence"]):
            return
        turn, skew = page["again"]
        if not turn:
            again["skew"] = skew   # a levelled image's text lies level: over the levelled page
        page.update(again, turn=(page["turn"] + turn) % 360, levelled=not turn)

    def _compose(self, pdf, pages):
        import pikepdf

        text_pdfs = {}
        try:
            for page_obj, page in zip(pdf.pages, pages):
                source = text_pdfs.get(page["text_pdf"])
                if source is None:
                    source = text_pdfs[page["text_pdf"]] = pikepdf.open(page["text_pdf"])
                text_page = source.pages[page["text_index"]]
                box = [float(v) for v in text_page.mediabox]
                width, height = box[2] - box[0], box[3] - box[1]
                form = pdf.copy_foreign(text_page.as_form_xobject())
                name = page_obj.add_resource(form, pikepdf.Name.XObject, prefix="OCR")
                # text page -> unit square of the turned image -> as drawn -> the page
                place = multiply(multiply((1 / width, 0, 0, 1 / height, 0, 0), TURN[page["turn"]]),
                                 page["matrix"])
                # deskewing: the page's content turned about the picture's centre
                # (as the levelled image was), the text with it unless it was
                # read from the levelled image
                a, _b, _c, d, e, f = page["matrix"]
                level = rotation_about(page["skew"], e + a / 2, f + d / 2)
                text = f"q {fmt(place)} cm {name} Do Q\n".encode()
                page_obj.contents_coalesce()
                content = (f"q {fmt(level)} cm\nq\n".encode() + page_obj.Contents.read_bytes()
                           + b"\nQ\n" + (b"" if page["levelled"] else text) + b"Q\n"
                           + (text if page["levelled"] else b""))
                page_obj.Contents = pdf.make_stream(content)
                if page["turn"]:
                    page_obj.obj.Rotate = page["turn"]
                elif "/Rotate" in page_obj.obj:
                    del page_obj.obj["/Rotate"]
        finally:
            for source in text_pdfs.values():
                source.close()

    @staticmethod
    def _save_pdfa(pdf, output):
        if not pdfa.save(pdf, output):
            raise Unsuitable("not confirmed as PDF/A-2b by pikepdf's validator")
