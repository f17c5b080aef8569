"""The ``ocr`` job: prepare (read what the work needs), run (the engine,
outside any transaction), store (the result, once).  Bad input fails the
job at once with its reason (``JobFailed``); anything else is retried."""
import logging
import os

from ..jobs import JobFailed
from ..resources import StoredFile
from ..services.files import blob_path
from . import engine, errors
from .services import store_result

log = logging.getLogger(__name__)


class OcrHandler:
    @staticmethod
    def warm():
        engine.warm()

    def prepare(self, root, job, registry):
        stored = root.objectmap.get(job.payload.get("file_id"))
        if not isinstance(stored, StoredFile):
            raise JobFailed(errors.FileGone.message)
        return {"file_id": stored.id, "path": blob_path(stored), "media_type": stored.media_type,
                "name": stored.name, "options": engine.Options.from_settings(registry.settings)}

    def run(self, prepared, ctx):
        def progress(done, total):
            ctx.progress(done, total, prepared["name"])

        try:
            result = engine.process(prepared["path"], prepared["media_type"], ctx.workdir,
                                    prepared["options"], progress=progress)
        except errors.DigitiseError as exc:
            log.info("ocr of %s refused: %s", prepared["file_id"], exc)
            raise JobFailed(exc.message)
        if result.rendition_path:
            # the work directory is removed before the store phase: keep the
            # rendition beside it (same disk as the blobs); store takes it
            keep = os.path.join(os.path.dirname(ctx.workdir),
                                f"ocr-rendition-{prepared['file_id']}-{os.urandom(4).hex()}.pdf")
            os.replace(result.rendition_path, keep)
            result.rendition_path = keep
        return result

    def store(self, root, job, result, registry):
        try:
            state = store_result(root, job.payload["file_id"], result, registry, job_id=job.id)
        except errors.DigitiseError as exc:
            raise JobFailed(exc.message)
        job.result = {"pages": len(state.pages), "flagged": len(state.flagged_pages),
                      "rendition": state.rendition_id, "seconds": state.seconds,
                      "ocr_pages": result.ocr_pages}
