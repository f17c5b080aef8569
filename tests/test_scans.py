"""Plain scans (``archive.digitise.scans``): one Tesseract pass, the text
grafted onto the untouched page, pages turned and levelled without
resampling the picture, PDF/A-2b validated by pikepdf.

A four-page scan: upright, turned a quarter, upside down, skewed 3 degrees.
Each page must be read, shown upright in the rendition, and its invisible
text must lie over its words (pdftotext's word boxes against where the page
drew them).  Files that are not plain scans go to OCRmyPDF.
"""
import hashlib
import io
import subprocess
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from test_ocr import PAGE_1, render_page, word_accuracy

from archive.digitise import engine

CODE = "BK204711"
TEXT = f"Hồ sơ số {CODE} lưu trữ\n" + PAGE_1
# render_page draws the first line at (180, 250) px of a 300 dpi page
CODE_TOP_PT = 250 * 72 / 300


def sha256(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def pdf_of(images, dpi=300):
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return out.getvalue()


@pytest.fixture(scope="module")
def turned(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("turned")
    page = render_page(TEXT, mode="L")
    images = [page, page.transpose(Image.Transpose.ROTATE_90),
              page.transpose(Image.Transpose.ROTATE_180),
              page.rotate(3, resample=Image.Resampling.BICUBIC, fillcolor=255)]
    path = tmp / "scan.pdf"
    path.write_bytes(pdf_of(images))
    before = sha256(path)
    work = tmp / "work"
    work.mkdir()
    result = engine.process(str(path), "application/pdf", str(work), engine.Options())
    return {"path": str(path), "before": before, "result": result}


def word_boxes(pdf_path):
    """pdftotext's word boxes, page by page, in points from the top left of
    the page as shown (its /Rotate applied)."""
    out = subprocess.run(["pdftotext", "-bbox", pdf_path, "-"], capture_output=True, check=True).stdout
    root = ET.fromstring(out.decode("utf-8").replace("<!DOCTYPE", "<!--").replace(".dtd\">", "-->"))
    pages = []
    for page in root.iter("{http://www.w3.org/1999/xhtml}page"):
        pages.append([(w.text, float(w.get("xMin")), float(w.get("yMin")))
                      for w in page.iter("{http://www.w3.org/1999/xhtml}word")])
    return pages


def test_plain_scan_takes_one_pass_and_pikepdf(turned):
    result = turned["result"]
    assert "pikepdf" in result.engine and "OCRmyPDF" not in result.engine
    assert result.rendition_status == "done" and result.rendition_pdfa is True
    assert sha256(turned["path"]) == turned["before"]


def test_every_page_is_read_whatever_its_orientation(turned):
    pages = turned["result"].pages
    assert [p.number for p in pages] == [1, 2, 3, 4]
    for page in pages:
        assert CODE in page.text, page.text[:80]
        assert word_accuracy(TEXT, page.text) >= 0.9, (page.number, page.text)
        assert page.confidence > 80 and not page.flagged


def test_rendition_turns_pages_upright_without_touching_the_pictures(turned):
    import pikepdf

    with pikepdf.open(turned["path"]) as original, pikepdf.open(turned["result"].rendition_path) as out:
        assert [int(p.obj.get("/Rotate", 0)) for p in out.pages] == [0, 90, 180, 0]
        for before, after in zip(original.pages, out.pages):
            (old,) = before.get_images().values()
            (new,) = after.get_images().values()
            assert new.read_raw_bytes() == old.read_raw_bytes()  # the scan's bytes, not resampled
        report = pikepdf.pdfa.check(out, "2b")
        assert report.verdict == "pass", report.summary()


def test_turned_page_is_shown_upright(turned, tmp_path):
    """The quarter-turned page, rendered as a viewer shows it, reads."""
    prefix = str(tmp_path / "shown")
    subprocess.run(["pdftoppm", "-f", "2", "-l", "2", "-r", "150", "-png", turned["result"].rendition_path,
                    prefix], check=True)
    (png,) = tmp_path.glob("shown*.png")
    with Image.open(png) as im:
        assert im.height > im.width  # portrait, as the page was written
    text = subprocess.run(["tesseract", str(png), "stdout", "-l", "vie"], capture_output=True,
                          text=True, check=True).stdout
    assert CODE in text and "tuyển dụng" in text


def test_invisible_text_lies_over_its_words(turned):
    """The code's word box is where the page drew it, on every page: the
    text layer turned and levelled with the picture."""
    pages = word_boxes(turned["result"].rendition_path)
    assert len(pages) == 4
    positions = []
    for words in pages:
        found = [(x, y) for text, x, y in words if CODE in text]
        assert found, [w[0] for w in words[:10]]
        positions.append(found[0])
    upright_x, upright_y = positions[0]
    assert abs(upright_y - CODE_TOP_PT) < 4
    for x, y in positions[1:]:
        assert abs(x - upright_x) < 4 and abs(y - upright_y) < 4, positions


def test_skew_is_levelled_by_turning_the_page_content(turned):
    import pikepdf

    with pikepdf.open(turned["result"].rendition_path) as out:
        first = out.pages[3].Contents.read_bytes().split(b" cm", 1)[0].split()
        a, b = float(first[1]), float(first[2])
    import math
    assert abs(math.degrees(math.atan2(b, a)) + 3) < 0.5   # 3 degrees clockwise, back to level


def test_image_file_and_blank_page(tmp_path):
    """A two-frame TIFF with a blank second page: the rendition keeps both."""
    frames = [render_page(TEXT, mode="1"), Image.new("1", (2480, 3508), 1)]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:], dpi=(300, 300),
                   compression="group4")
    path = tmp_path / "so.tif"
    path.write_bytes(out.getvalue())
    work = tmp_path / "w"
    work.mkdir()
    result = engine.process(str(path), "image/tiff", str(work), engine.Options())
    assert "pikepdf" in result.engine
    assert CODE in result.pages[0].text and result.pages[1].text == ""
    import pikepdf

    with pikepdf.open(result.rendition_path) as pdf:
        assert len(pdf.pages) == 2


def test_a_pdf_with_drawings_goes_to_ocrmypdf(tmp_path):
    """A page with vector drawing beside its picture is no plain scan."""
    import pikepdf

    path = tmp_path / "mixed.pdf"
    path.write_bytes(pdf_of([render_page(TEXT, mode="L")]))
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.pages[0].contents_add(pdf.make_stream(b"q 1 w 10 10 m 200 10 l S Q"))
        pdf.save(path)
    work = tmp_path / "w"
    work.mkdir()
    result = engine.process(str(path), "application/pdf", str(work), engine.Options())
    assert result.engine.startswith("OCRmyPDF")
    assert CODE in result.pages[0].text and result.rendition_status == "done"


def test_page_images_leave_the_disk_as_soon_as_read(tmp_path, monkeypatch):
    """A long scan never has more than the running chunks' images on disk:
    here one page per chunk, one core, so at most one image at any time."""
    from archive.digitise import scans

    monkeypatch.setattr(scans.Reader, "CHUNK", 1)
    path = tmp_path / "ba-trang.pdf"
    path.write_bytes(pdf_of([render_page(f"{CODE} trang {n} đăng ký hộ tịch", size=(1600, 500), mode="L")
                             for n in (1, 2, 3)]))
    options = engine.Options(jobs=1)
    facts = engine.inspect(str(path), "application/pdf", options)
    on_disk = []

    def progress(done, total):
        on_disk.append(len(list((tmp_path / "w" / "scan-pages").iterdir())))

    (tmp_path / "w").mkdir()
    run = scans.ScanRun(str(path), "application/pdf", facts, options, str(tmp_path / "w"),
                        engine.hocr_text, progress)
    pages = run.run(str(tmp_path / "out.pdf"))
    assert [CODE in text for text, _conf in pages] == [True, True, True]
    assert on_disk and max(on_disk) <= 1, on_disk
    assert list((tmp_path / "w" / "scan-pages").iterdir()) == []


def test_page_the_scanner_already_turned_keeps_its_rotate(tmp_path):
    """A scanner that stores a page sideways and sets /Rotate 90 to show it
    upright: read as shown, /Rotate kept, the text over its words."""
    import pikepdf

    path = tmp_path / "xoay.pdf"
    path.write_bytes(pdf_of([render_page(TEXT, mode="L").transpose(Image.Transpose.ROTATE_90)]))
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.pages[0].obj.Rotate = 90
        pdf.save(path)
    (tmp_path / "w").mkdir()
    result = engine.process(str(path), "application/pdf", str(tmp_path / "w"), engine.Options())
    assert "pikepdf" in result.engine and CODE in result.pages[0].text
    with pikepdf.open(result.rendition_path) as out:
        assert int(out.pages[0].obj.Rotate) == 90
    (words,) = word_boxes(result.rendition_path)
    (y,) = [y for text, _x, y in words if CODE in text]
    assert abs(y - CODE_TOP_PT) < 4


@pytest.mark.parametrize("jfif", [True, False])
def test_a_scanner_jpeg_goes_to_tesseract_byte_for_byte_with_its_resolution(tmp_path, jfif):
    """The JPEG of a scan page is handed on without decoding; its JFIF
    density says the page's resolution, whether it had a JFIF segment or not."""
    from archive.digitise import scans

    out = io.BytesIO()
    render_page(TEXT, size=(1240, 600), mode="L").save(out, "JPEG", quality=85, dpi=(72, 72))
    data = out.getvalue()
    if not jfif:   # as some scanners write: no APP0 segment
        assert data[2:4] == b"\xff\xe0"
        length = int.from_bytes(data[4:6], "big")
        data = data[:2] + data[4 + length:]
    fixed = scans.jfif_with_density(data, 150)
    with Image.open(io.BytesIO(fixed)) as im, Image.open(io.BytesIO(data)) as before:
        assert im.info["dpi"] == (150, 150)
        assert im.tobytes() == before.tobytes()
    assert fixed.endswith(data[-1000:])
