"""PDF/A-2b declared and validated by pikepdf (``pikepdf.pdfa``), for PDFs
that are PDF/A in all but name: scans with their text grafted, LibreOffice's
exports, born-digital PDFs whose fonts are embedded.

``pikepdf.pdfa.save`` repairs what it can (output intent, XMP, annotation
flags), writes, and validates the bytes it wrote with an allowlist
validator.  Two constructs common in born-digital PDFs are outside its
allowlist and carry nothing an archival copy needs, so they are dropped
first: the catalogue's ``/OpenAction`` (the page and zoom a viewer opens at;
PDF/A forbids the script actions it may also hold) and the trailer's
``/DocChecksum`` (LibreOffice's).
"""
import logging

log = logging.getLogger(__name__)

DROP_TRAILER = ("/DocChecksum",)
DROP_CATALOG = ("/OpenAction",)


def save(pdf, output):
    """Write the open ``pdf`` to ``output`` as validated PDF/A-2b: True, or
    False (nothing written) when the validator does not pass it."""
    import pikepdf.pdfa

    for key in DROP_TRAILER:
        if key in pdf.trailer:
            del pdf.trailer[key]
    for key in DROP_CATALOG:
        if key in pdf.Root:
            del pdf.Root[key]
    try:
        pikepdf.pdfa.save(pdf, output, "2b")
        return True
    except pikepdf.pdfa.PdfaError as exc:
        log.info("not confirmed as PDF/A-2b: %s", exc.report.summary(limit=5))
        return False


def signed(pdf):
    """Does the PDF carry a digital signature?  Writing it again would break
    the signature; its rendition is left to OCRmyPDF, which refuses it."""
    form = pdf.Root.get("/AcroForm")
    if form is None:
        return False
    if int(form.get("/SigFlags", 0)) & 1:
        return True
    return any(field.get("/FT") == "/Sig" for field in form.get("/Fields", []))


def declare(source, output):
    """``save`` of the PDF at ``source`` (never modified)."""
    import pikepdf

    try:
        pdf = pikepdf.open(source)
    except Exception as exc:
        log.info("pikepdf cannot open %s: %s", source, exc)
        return False
    with pdf:
        if signed(pdf):
            return False
        try:
            return save(pdf, output)
        except Exception as exc:   # a structure pikepdf cannot write
            log.info("no PDF/A-2b from %s: %s", source, exc)
            return False
