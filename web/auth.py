"""Who is calling, and whether they may: sign-in, API tokens, and a policy on every route.

Every view declares its policy with :func:`allow` (a permission of ``gridmap.access``,
which says the roles that hold it) or :func:`public` (anyone, when the city's settings
make the map public); a route without one is refused (deny by default; a test walks the
URL map).  What a caller may do on one record, and which fields it may read, is asked of
the same policy through ``web.caller`` (``require(access.CASE_READ, case)``).
Browsers sign in on ``/login`` (argon2 passwords, failed attempts limited per name and
per address: ``gridmap.services.sessions``); machines send ``Authorization: Bearer
<token>`` and act with the token's role only.

Sessions live in the store.  The signed cookie carries Flask-Login's user id, which here is
a random session id; the user loader finds the session's row (by the id's SHA-256) on
every request, so a session ended anywhere (sign-out, a new password, a disabled user, an
admin's "sign out everywhere", the idle and absolute lifetimes) is refused by every worker
and host at once, copied cookies included.  Flask-Login's own user loader is the whole
mechanism: a server-side ``SessionInterface`` would move all of Flask's session into the
store for nothing, since a session id is all this app keeps there.
"""

from __future__ import annotations

from urllib.parse import urlparse

from flask import (
    Blueprint,
    Flask,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, current_user, login_user, logout_user

from gridmap import access
from gridmap.accounts import User, token_digest
from gridmap.errors import say
from gridmap.services import sessions
from web import i18n, params
from web.caller import caller, may
from web.db import get_store
from web.errors import error_page, wants_page

bp = Blueprint("auth", __name__)


class _Sessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signer built once per set of keys instead
    of on every request: building it (itsdangerous tries a serialisation to learn its
    kind) took a tenth of the lookup API's time."""

    def __init__(self) -> None:
        self._signers: dict[tuple, object] = {}

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        signer = self._signers.get(keys)
        if signer is None:
            signer = self._signers[keys] = super().get_signing_serializer(app)
        return signer


class Principal:
    """A signed-in user (all their roles) or a token's caller (the token's role)."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(
        self, user: User, roles: tuple[str, ...] | None = None, session: str | None = None
    ):
        self.user = user
        self.roles = set(roles if roles is not None else user.roles)
        self.session = session  # a browser's session id (None: a token)

    def get_id(self) -> str | None:
        """What Flask-Login keeps in the cookie: the session id, never the user's name."""
        return self.session

    @property
    def name(self) -> str:
        return self.user.name


def allow(permission: str):
    """Only signed-in callers whose roles hold ``permission`` (``access.PERMISSIONS``)."""
    access.roles_for(permission)  # an unknown permission fails at import

    def mark(view):
        view.gridmap_policy = ("permission", permission)
        return view

    return mark


def public(view):
    """Anyone, when the map is public (``GRIDMAP_PUBLIC=map``, the default)."""
    view.gridmap_policy = ("public", None)
    return view


def always_public(view):
    """Anyone, always (the sign-in page itself)."""
    view.gridmap_policy = ("always", None)
    return view


def _refuse(status: int, message: str):
    message = i18n.localized(message)
    if wants_page():
        if status == 401 and request.method == "GET":  # to the sign-in page, then back
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return error_page(status, message)
    error = "Unauthorized" if status == 401 else "Forbidden"
    return jsonify({"error": error, "message": message}), status


def _check():
    view = current_app.view_functions.get(request.endpoint)
    if request.endpoint == "static" or view is None:
        return None  # Flask's own files, and 404s
    policy = getattr(view, "gridmap_policy", None)
    if policy is None:
        return _refuse(403, say("{endpoint} declares no access policy", endpoint=request.endpoint))
    kind, permission = policy
    if current_user.is_authenticated:  # changes made in this request are theirs
        get_store().actor = f"web:{current_user.name}"
    if kind == "always" or (kind == "public" and current_app.config["PUBLIC_MAP"]):
        return None
    if not current_user.is_authenticated:
        return _refuse(401, say("sign in first (or send Authorization: Bearer <token>)"))
    if not access.holds(caller(), permission):
        refused = access.role_refusal(permission)  # the roles by their names
        # A page says it in a sentence of its own; the API's message in the request's
        # language (its ``error`` stays the code scripts read).
        return _refuse(403, i18n.refusal(refused) if wants_page() else i18n.error_message(refused))
    return None


def _safe_next(target: str | None) -> str:
    parts = urlparse(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/"):
        return url_for("pages.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@always_public
def login():
    lang = i18n.language()
    if request.method == "GET":
        return render_template("login.html", t=i18n.texts(lang), lang=lang, error=None)
    name = params.text("name", request.form, default="", max_length=200)
    refused = _sign_in(name, request.form.get("password", ""))
    if refused is None:
        return redirect(_safe_next(request.args.get("next")))
    page = render_template(
        "login.html", t=i18n.texts(lang), lang=lang, error=i18n.texts(lang)[refused], name=name
    )
    return page, 429 if refused == "login_blocked" else 401


def _sign_in(name: str, password: str) -> str | None:
    """Sign ``name`` in; None, or why not (a message key)."""
    done = sessions.sign_in(
        get_store(),
        name,
        password,
        request.remote_addr or "",
        request.user_agent.string,
        current_app.config["SIGN_IN_LIMITS"],
    )
    if done.refused is not None:
        return "login_blocked" if done.refused == sessions.BLOCKED else "login_failed"
    if current_user.is_authenticated and current_user.session is not None:
        sessions.sign_out(get_store(), current_user.session)  # the browser's previous one
    login_user(Principal(done.user, session=done.session))
    return None


@bp.post("/logout")
@always_public
def logout():
    if current_user.is_authenticated and current_user.session is not None:
        sessions.sign_out(get_store(), current_user.session)
    logout_user()
    return redirect(url_for("auth.login"))


@bp.get("/api/me")
@allow(access.SIGNED_IN)
def me():
    return jsonify({"name": current_user.name, "roles": sorted(current_user.roles)})


def init_app(app: Flask) -> None:
    app.session_interface = _Sessions()
    manager = LoginManager()
    manager.init_app(app)
    config = app.config
    config.setdefault("SIGN_IN_LIMITS", sessions.Limits())
    lifetimes = app.extensions["gridmap_settings"]
    config.setdefault("SESSION_IDLE_SECONDS", lifetimes.session_idle_minutes * 60)
    config.setdefault("SESSION_LIFETIME_SECONDS", lifetimes.session_hours * 3600)

    @manager.user_loader
    def load(session: str):
        user = sessions.session_user(
            get_store(),
            session,
            current_app.config["SESSION_IDLE_SECONDS"],
            current_app.config["SESSION_LIFETIME_SECONDS"],
        )
        return None if user is None else Principal(user, session=session)

    @manager.request_loader
    def from_token(req):
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        found = get_store().token_user(token_digest(header[7:].strip()))
        return None if found is None else Principal(found[0], (found[1],))

    @manager.unauthorized_handler
    def unauthorized():
        return _refuse(401, say("sign in first"))

    app.jinja_env.globals["may"] = may
    app.before_request(_check)
    app.register_blueprint(bp)
