"""PDF/A-2b renditions of office documents (DOCX, ODT, XLSX) by LibreOffice.

LibreOffice, when it is installed (Debian: ``libreoffice-writer-nogui`` for
text documents, ``libreoffice-calc-nogui`` for spreadsheets), exports the
document as PDF/A-2b in a child process with a profile of its own in the
job's work folder (conversions run side by side; nothing is written beside
the original, which is copied in first), set to fetch nothing a document
links to and to run no macro.  pikepdf then checks the export
with its PDF/A validator and writes it again (``pdfa``).

Without LibreOffice, or when the export fails, the text is still extracted
(``engine``) and the document page says why there is no rendition.
"""
import logging
import os
import shutil
import subprocess

from ..i18n import _
from . import errors, pdfa
from .engine import DOCX, ODT, XLSX
from ..children import die_with_parent, kill_group

log = logging.getLogger(__name__)

# media type -> (file extension LibreOffice recognises, its PDF export filter)
FILTERS = {DOCX: ("docx", "writer_pdf_Export"), ODT: ("odt", "writer_pdf_Export"),
           XLSX: ("xlsx", "calc_pdf_Export")}
PDFA_2 = '{"SelectPdfVersion":{"type":"long","value":"2"}}'
# The profile's settings: a document is untrusted input.  Without
# BlockUntrustedRefererLinks LibreOffice fetches a document's linked images
# while converting it (a request to any address the document names, from
# the server: tests/test_renditions.py checks it does not); no macro runs.
PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
%s
</oor:items>
""" % "\n".join(
    '<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="%s" '
    'oor:op="fuse"><value>%s</value></prop></item>' % pair
    for pair in (("BlockUntrustedRefererLinks", "true"), ("MacroSecurityLevel", "3"),
                 ("DisableMacrosExecution", "true")))


class NoConverter(Exception):
    """LibreOffice (or its module for this kind of document) is not installed."""


def soffice():
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(path, media_type, workdir, output, timeout):
    """Export ``path`` as PDF/A-2b to ``output``.  Returns (pdfa confirmed,
    note).  Raises ``NoConverter`` or ``errors.DigitiseError``."""
    program = soffice()
    if program is None or media_type not in FILTERS:
        raise NoConverter()
    extension, export_filter = FILTERS[media_type]
    folder = os.path.join(workdir, "office")
    os.makedirs(folder, exist_ok=True)
    source = os.path.join(folder, "document." + extension)
    shutil.copyfile(path, source)
    out_dir = os.path.join(folder, "out")
    profile = os.path.join(folder, "profile")
    os.makedirs(os.path.join(profile, "user"), exist_ok=True)
    with open(os.path.join(profile, "user", "registrymodifications.xcu"), "w", encoding="utf-8") as fh:
        fh.write(PROFILE_SETTINGS)
    cmd = [program, "--headless", "--norestore", "--nologo", "--nolockcheck",
           "-env:UserInstallation=file://" + profile,
           "--convert-to", f"pdf:{export_filter}:{PDFA_2}", "--outdir", out_dir, source]
    env = dict(os.environ, HOME=folder)
    with open(os.path.join(folder, "soffice.log"), "wb") as log_file:
        process = subprocess.Popen(cmd, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True,
                                   preexec_fn=die_with_parent())
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(process)
            raise errors.OcrTimeout(mapping={"seconds": timeout})
        except BaseException:
            kill_group(process)
            raise
    exported = os.path.join(out_dir, "document.pdf")
    if process.returncode != 0 or not os.path.exists(exported):
        with open(os.path.join(folder, "soffice.log"), "rb") as fh:
            said = fh.read().decode("utf-8", "replace")
        if "no export filter" in said.lower():
            raise NoConverter()
        log.info("LibreOffice could not export %s: %s", path, said[-300:])
        raise errors.DigitiseError(_("LibreOffice không chuyển được tệp này sang PDF/A: tệp có thể bị hỏng."))
    return _declare(exported, output)


def _declare(exported, output):
    if pdfa.declare(exported, output):
        return True, ""
    # LibreOffice's own export, which says it is PDF/A-2b but was not confirmed
    shutil.copyfile(exported, output)
    return False, _("Bản PDF do LibreOffice xuất chưa được xác nhận đạt PDF/A.")
