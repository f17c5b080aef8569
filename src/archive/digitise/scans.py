"""Scans: one Tesseract pass per page, its invisible text grafted onto the
untouched original page, PDF/A-2b written and validated by pikepdf.

The backlog is scanner output: image-only PDFs and image files whose pages
are one picture each.  For those the run costs little more than Tesseract
itself (``bench/ocr.py``):

- the page images are read out of the PDF as they are (no rasterising) and
  handed to Tesseract as uncompressed TIFF with their resolution;
- one ``tesseract`` process per core reads a list of pages, so its models are
  loaded once, and writes hOCR (the text, word confidences, line geometry)
  and a text-only PDF (``textonly_pdf``) in the same pass;
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
import subprocess
import time

from PIL import Image

from . import errors
from .proc import die_with_parent, kill_group

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
    for operands, operator in pikepdf.parse_content_stream(page):
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
            xobject = page.Resources.XObject[operands[0]]
            if xobject.get("/Subtype") != "/Image":
                raise Unsuitable("form XObject")
            drawn = (xobject, ctm)
    if drawn is None:
        raise Unsuitable("no picture")
    a, b, c, d, _e, _f = drawn[1]
    if abs(b) > 1e-6 or abs(c) > 1e-6 or a <= 0 or d <= 0:
        raise Unsuitable("picture drawn turned or mirrored")
    return drawn


def page_rotation(page):
    try:
        return int(page.obj.get("/Rotate", 0)) % 360
    except (TypeError, ValueError):
        return 0


def extract_page(image, matrix, turn, out_path):
    """The page's picture as an uncompressed TIFF for Tesseract, turned
    clockwise by ``turn`` degrees, with its resolution on the page."""
    import pikepdf

    try:
        pil = pikepdf.PdfImage(image).as_pil_image()
    except Exception as exc:
        raise Unsuitable(f"picture not decodable: {exc}")
    if pil.mode not in ("1", "L", "RGB"):
        pil = pil.convert("RGB")
    dpi = pil.width / (matrix[0] / 72.0)
    dpi = int(round(dpi)) if 50 <= dpi <= 2400 else 300
    if turn:
        pil = pil.transpose(TRANSPOSE[turn])
    pil.save(out_path, "TIFF", dpi=(dpi, dpi))
    return pil.size, dpi


# --------------------------------------------------------------------------- Tesseract

def run_tesseract(images, workdir, tag, options, progress=None, deadline=None):
    """OCR ``images`` (paths) with one Tesseract process per core, each
    reading a list of pages.  Returns, per image, (hOCR page element, path
    of the text-only PDF, page index in it)."""
    from xml.etree import ElementTree

    if not images:
        return []
    count = max(1, min(options.cores, len(images)))
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    runs = []
    for index in range(count):
        mine = list(range(index, len(images), count))
        listing = os.path.join(workdir, f"{tag}-{index}.txt")
        with open(listing, "w", encoding="utf-8") as fh:
            fh.write("".join(images[i] + "\n" for i in mine))
        base = os.path.join(workdir, f"{tag}-{index}")
        log_file = open(base + ".log", "wb")
        process = subprocess.Popen(
            ["tesseract", listing, base, "-l", options.languages, "-c", "textonly_pdf=1", "hocr", "pdf"],
            env=env, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=die_with_parent)
        runs.append((mine, base, process, log_file))
    try:
        while any(process.poll() is None for _m, _b, process, _l in runs):
            if deadline is not None and time.monotonic() > deadline:
                raise errors.OcrTimeout(mapping={"seconds": int(deadline - time.monotonic())})
            if progress is not None:
                progress(_pages_done(runs))
            time.sleep(0.25)
    except BaseException:
        for _m, _b, process, _l in runs:
            kill_group(process)
        raise
    finally:
        for _m, _b, _p, log_file in runs:
            log_file.close()
    out = [None] * len(images)
    for mine, base, process, _log in runs:
        if process.returncode != 0:
            raise Unsuitable(f"tesseract exited with {process.returncode}: {_tail(base + '.log')}")
        try:
            root = ElementTree.parse(base + ".hocr").getroot()
        except (OSError, ElementTree.ParseError) as exc:
            raise Unsuitable(f"hOCR unreadable: {exc}")
        pages = [el for el in root.iter() if el.get("class") == "ocr_page"]
        if len(pages) != len(mine):
            raise Unsuitable(f"hOCR has {len(pages)} pages for {len(mine)}")
        for position, (image_index, element) in enumerate(zip(mine, pages)):
            out[image_index] = (element, base + ".pdf", position)
    return out


def _pages_done(runs):
    done = 0
    for mine, base, process, _log in runs:
        if process.poll() is not None:
            done += len(mine)
            continue
        try:
            with open(base + ".log", "rb") as fh:
                started = fh.read().count(b"Page ")
        except OSError:
            started = 0
        done += max(0, started - 1)
    return done


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
                             text=True, timeout=options.timeout, preexec_fn=die_with_parent)
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
        if element.get("class") not in ("ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat"):
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
        total = self.facts.page_count or 0
        deadline = time.monotonic() + self.options.timeout * max(1, total) + 300
        source = base_pdf(self.path, self.media_type, self.facts, self.options, self.workdir)
        try:
            pdf = pikepdf.open(source)
        except Exception as exc:
            raise Unsuitable(f"pikepdf: {exc}")
        with pdf:
            pages = []
            for number, page in enumerate(pdf.pages, start=1):
                image, matrix = image_placement(page)
                turn = page_rotation(page)
                path = os.path.join(self.folder, f"{number:06d}.tif")
                size, dpi = extract_page(image, matrix, turn, path)
                pages.append({"image": image, "matrix": matrix, "turn": turn, "path": path,
                              "dpi": dpi})
            report = (lambda done: self.progress(min(done, len(pages)), len(pages))) \
                if self.progress and pages else None
            read = run_tesseract([p["path"] for p in pages], self.workdir, "ocr", self.options,
                                 report, deadline)
            for page, found in zip(pages, read):
                page["hocr"], page["text_pdf"], page["text_index"] = found
                page["text"], page["confidence"] = self.read_page(found[0])
                page["upright"], slope = line_geometry(found[0])
                page["skew"], page["levelled"] = deskew_angle(slope), False
            self._second_pass(pages, deadline)
            self._compose(pdf, pages)
            self._save_pdfa(pdf, output)
        return [(p["text"], p["confidence"]) for p in pages]

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

    def _second_pass(self, pages, deadline):
        """Read again, from a better image, the pages that seem turned (as
        Tesseract's orientation detection says) or skewed by a degree or
        more (levelled); keep the pass that read better."""
        retry = []
        for page in pages:
            turn = 0
            if self._doubtful(page):
                turn, confidence = detect_orientation(page["path"], self.options)
                if confidence < self.options.rotate_threshold:
                    turn = 0
            skew = 0.0 if turn else page["skew"]
            if turn == 0 and abs(skew) < LEVEL_BEFORE_OCR:
                continue
            better = page["path"].replace(".tif", "-2.tif")
            with Image.open(page["path"]) as im:
                if turn:
                    im = im.transpose(TRANSPOSE[turn])
                else:
                    if im.mode == "1":
                        im = im.convert("L")
                    white = 255 if im.mode == "L" else (255, 255, 255)
                    im = im.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=white)
                im.save(better, "TIFF", dpi=(page["dpi"],) * 2)
            retry.append((page, turn, skew, better))
        if not retry:
            return
        read = run_tesseract([r[3] for r in retry], self.workdir, "again", self.options,
                             deadline=deadline)
        for (page, turn, skew, _path), found in zip(retry, read):
            text, confidence = self.read_page(found[0])
            upright, slope = line_geometry(found[0])
            if self._score(upright, confidence) <= self._score(page["upright"], page["confidence"]):
                continue
            page.update(hocr=found[0], text_pdf=found[1], text_index=found[2], text=text,
                        confidence=confidence, upright=upright,
                        turn=(page["turn"] + turn) % 360,
                        # a levelled image's text lies level: over the levelled page
                        skew=skew if not turn else deskew_angle(slope), levelled=not turn)

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

    def _save_pdfa(self, pdf, output):
        import pikepdf.pdfa

        try:
            pikepdf.pdfa.save(pdf, output, "2b")
        except pikepdf.pdfa.PdfaError as exc:
            raise Unsuitable(f"PDF/A validation: {exc.report.summary(limit=5)}")
