"""Data in and out through the browser: upload a boundary or event file, read the same
validation report as the command line gives, import on confirmation; download layers."""

from __future__ import annotations

import io
import json
import secrets
import shutil
import tempfile
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file
from werkzeug.utils import secure_filename

from etl import exports, imports
from etl.uploads import sweep_uploads
from etl.validate import ImportRefused
from gridmap import access
from gridmap.errors import InvalidInput, Message, say
from gridmap.model import LAYER_KINDS
from gridmap.spreadsheet import csv_text
from web import i18n, params
from web.auth import allow
from web.caller import caller
from web.db import get_store, readable

bp = Blueprint("data", __name__, url_prefix="/data")
KINDS = ("layer", "incidents", "hazards")
TEXTS = (  # the import's options besides kind, layer and the two flags
    "parent_layer",
    "code_field",
    "name_field",
    "crs",
    "datum",
    "population_field",
    "households_field",
    "generation",
    "title_zh",
    "title_en",
)
# An error naming one of these is the form's, not the file's: the file stays for a new check.
OPTIONS = {"kind", "layer", "layer_kind", *TEXTS}
REJECTED = ".rejected.json"  # beside the upload; no uploaded file's secure name starts with "."


def upload_root(directory: str | Path | None = None) -> Path:
    """Where uploads wait for their confirmation: ``directory`` (the app's UPLOAD_DIR),
    or a folder of the system's temporary directory."""
    return Path(directory or Path(tempfile.gettempdir()) / "gridmap-uploads")


def _uploads() -> Path:
    root = upload_root(current_app.config.get("UPLOAD_DIR"))
    root.mkdir(parents=True, exist_ok=True)
    sweep_uploads(root)  # uploads never confirmed go after an hour
    return root


def _options() -> dict:
    form = request.form
    kind = params.choice("kind", KINDS, form, default="layer")
    layer = params.text("layer", form, required=kind == "layer", max_length=100) or ""
    texts = {name: params.text(name, form, max_length=200) for name in TEXTS}
    return {
        "kind": kind,
        "layer": layer,
        "layer_kind": params.choice("layer_kind", LAYER_KINDS, form),
        **texts,
        "code_field": texts["code_field"] or "code",
        "repair": params.flag("repair", form),
        "skip_bad": params.flag("skip_bad", form),
    }


def _run(path: Path, opts: dict, dry_run: bool) -> dict:
    store = get_store()
    limits = current_app.config["UPLOAD_LIMITS"]
    if opts["kind"] == "layer":
        try:
            n, report = imports.import_layer(
                store,
                path,
                opts["layer"],
                opts["generation"],
                opts["code_field"],
                opts["name_field"],
                opts["parent_layer"],
                opts["crs"],
                opts["repair"],
                dry_run=dry_run,
                limits=limits,
                datum=opts["datum"],
                population_field=opts["population_field"],
                households_field=opts["households_field"],
                kind=opts["layer_kind"],
                title_zh=opts["title_zh"],
                title_en=opts["title_en"],
            )
        except ImportRefused as refused:
            return {"ok": False, "report": refused.report, "rows": refused.report.features}
        return {
            "ok": True,
            "report": report,
            "rows": n,
            "importable": n,
            "imported": 0 if dry_run else n,
        }
    if dry_run:
        checked = imports.check_events(path, opts["kind"], limits)
        bad = [(row, why) for row, _, _, why in checked.rejected]
        return {
            "ok": not bad or opts["skip_bad"],
            "rows": checked.rows,
            "importable": checked.importable,  # what the confirmation's import writes
            "bad": bad,
            "rejected": checked.rejected,
        }
    errors = "skip" if opts["skip_bad"] else "fail"
    result = imports.import_events(store, path, opts["kind"], errors, limits=limits)
    return {
        "ok": True,
        "rows": result.imported + result.rejected,
        "imported": result.imported,
        "bad": [],
    }


def _page(template: str, **kw):
    lang = i18n.language()
    store = get_store()
    return render_template(
        template,
        lang=lang,
        layers=store.layers(),
        formats=exports.FORMATS,
        layer_kinds=i18n.LAYER_KINDS,
        problem_kind=i18n.problem_kind,
        **kw,
    )


@bp.get("/")
@allow(access.DATA_IMPORT)
def index():
    return _page("data.html", result=None, opts=None, token=None)


@bp.post("/check")
@allow(access.DATA_IMPORT)
def check():
    """The report on an uploaded file (or on the one kept under the form's token, checked
    again with other options); the page re-shows the form filled in, the file kept."""
    opts = _options()
    token, path = _received()
    token, result = _checked(token, path, opts)
    page = _page("data.html", result=result, opts=opts, token=token, filename=path.name)
    return page, 400 if "error" in result else 200


def _received() -> tuple[str, Path]:
    """The file to check: a new upload, saved under a new token, else the one kept
    under the form's token."""
    if not request.files.get("file") and request.form.get("token"):
        token = params.token("token", request.form)
        return token, _kept(token)
    upload = params.upload("file")
    if request.form.get("token"):  # another file chosen: the one kept before goes now
        shutil.rmtree(_uploads() / params.token("token", request.form), ignore_errors=True)
    token = secrets.token_hex(8)
    folder = _uploads() / token
    folder.mkdir()
    path = folder / (secure_filename(upload.filename) or "upload")
    try:
        upload.save(path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return token, path


def _checked(token: str, path: Path, opts: dict) -> tuple[str | None, dict]:
    """The kept file checked: (its token, the report).  The file stays for its import, or
    to be checked again with other options (its rows rejected kept beside it, for their
    CSV); it goes at once when it cannot be read, or on an unexpected failure, so that
    nothing unreadable is kept: then the token is None."""
    result, keep = {"ok": False}, False
    try:
        result = _run(path, opts, dry_run=True)
        keep = True
        if result.get("rejected"):
            kept = [[*row[:3], _as_json(row[3])] for row in result["rejected"]]
            (path.parent / REJECTED).write_text(json.dumps(kept, ensure_ascii=False))
    except InvalidInput as exc:
        result = {"ok": False, "error": i18n.refusal(exc)}
        keep = exc.field in OPTIONS  # the file was read: an option is to be changed
    finally:
        if not keep:
            shutil.rmtree(path.parent, ignore_errors=True)
    return (token if keep else None), result


def _as_json(reason):
    """A rejected row's reason kept for its CSV, which is written in the language of the
    page that asks for it: the message's template and values."""
    return reason.to_json() if isinstance(reason, Message) else str(reason)


def _kept(token: str) -> Path:
    """The upload kept under ``token``; a 400 when it has gone (imported, or swept)."""
    folder = _uploads() / token
    files = [f for f in folder.iterdir() if f.name != REJECTED] if folder.is_dir() else []
    if not files:
        raise InvalidInput(say("the upload has expired: choose the file again"), field="token")
    return files[0]


@bp.post("/import")
@allow(access.DATA_IMPORT)
def run_import():
    opts = _options()
    path = _kept(params.token("token", request.form))
    try:
        result = _run(path, opts, dry_run=False)
    except ImportRefused as refused:
        result = {"ok": False, "report": refused.report}
    finally:  # imported or not, the upload is gone
        shutil.rmtree(path.parent, ignore_errors=True)
    return _page("data.html", result=result, opts=opts, token=None, done=True)


@bp.get("/rejected/<token>.csv")
@allow(access.DATA_IMPORT)
def rejected_csv(token: str):
    """The rows a check rejected (row, field, value, reason), headed in the page's language."""
    found = _kept(params.token("token", {"token": token})).parent / REJECTED
    rows = json.loads(found.read_text()) if found.exists() else []  # a check with none
    rows = [[*row[:3], i18n.localized(Message.from_json(row[3]))] for row in rows]
    return Response(
        csv_text(i18n.rejected_columns(), rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="rejected-{token}.csv"'},
    )


@bp.get("/export/<what>.<fmt>")
@allow(access.DATA_EXPORT)
def download(what: str, fmt: str):
    if fmt not in exports.FORMATS:
        abort(404)
    store = get_store()
    if what not in ("incidents", "hazards"):
        store.layer(what)
    gen = readable(params.text("generation"))  # a staged one: for those who may read it
    name, body = _exported(store, what, fmt, str(gen.id))
    return send_file(body, as_attachment=True, download_name=name)


def _exported(store, what: str, fmt: str, generation: str | None) -> tuple[str, io.BytesIO]:
    """``what`` exported as ``fmt``: the file's name and its content (nothing left on disk)."""
    folder = Path(tempfile.mkdtemp(prefix="gridmap-export-"))
    try:
        out = exports.export(
            store,
            what,
            folder / f"{what}{exports.FORMATS[fmt][1]}",
            fmt,
            generation,
            caller=caller(),  # what this caller may read: no reporters for a planner
        )
        return out.name, io.BytesIO(out.read_bytes())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
