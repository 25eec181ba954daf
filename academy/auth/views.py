"""Sign-in, registration, passwords and the admin pages for accounts, imports and firms."""

from __future__ import annotations

import base64

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from academy.audit.service import list_events_for
from academy.auth import importing, password_links, service
from academy.auth.forms import (
    ChangePasswordForm,
    ChangeRoleForm,
    CreateAccountForm,
    FirmForm,
    ImportAccountsForm,
    LoginForm,
    RegisterForm,
    SetPasswordForm,
)
from academy.auth.models import AccountRole, PartnerFirm, User
from academy.auth.service import AccountError, NewAccount
from academy.db import get_session, utcnow
from academy.forms import ConfirmForm, attach_error
from academy.request_guards import database_id
from academy.security import login_manager, roles_required, safe_next_url, signed_in_user

bp = Blueprint("auth", __name__, template_folder="templates")

Page = str | tuple[str, int] | Response


@login_manager.user_loader
def _load_user(session_token: str) -> User | None:
    return service.get_user_for_session(get_session(), session_token)


def _sign_in(user: User, remember: bool = False) -> None:
    """Start a fresh session for ``user``: nothing from before sign-in survives (fixation)."""
    session.clear()
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Page:
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate(
                get_session(), email=form.email.data or "", password=form.password.data or "",
                ip=request.remote_addr or "", now=utcnow(),
            )
        except AccountError as error:
            attach_error(form, "", error.message)
        else:
            _sign_in(user, remember=bool(form.remember.data))
            return redirect(safe_next_url(request.args.get("next"), url_for("site.home")))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    if ConfirmForm().validate_on_submit():
        service.end_all_sessions(get_session(), signed_in_user())
        session.clear()
        logout_user()  # after clear(): it leaves the note that deletes the remember-me cookie
        flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> Page:
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = service.register_student(get_session(), NewAccount(
                email=form.email.data or "", display_name=form.display_name.data or "",
                password=form.password.data or "", timezone=form.timezone.data or "",
                locale=form.locale.data or "en",
            ))
        except AccountError as error:
            attach_error(form, error.field, error.message)
        else:
            _sign_in(user)
            flash(_("Welcome to Live Academy, %(name)s!", name=user.display_name), "success")
            return redirect(url_for("site.home"))
    status = 422 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Page:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = service.change_password(
                get_session(), signed_in_user(), current_password=form.current_password.data or "",
                new_password=form.new_password.data or "", now=utcnow(),
            )
        except AccountError as error:
            attach_error(form, error.field, error.message)
        else:
            _sign_in(user)  # this device stays signed in under the new session version
            flash(_("Your password is changed. Other devices have been signed out."), "success")
            return redirect(url_for("site.home"))
    status = 422 if form.errors else 200
    return render_template("auth/change_password.html", form=form), status


def _firm_choices(firms: list[PartnerFirm] | None = None) -> list[SelectChoice]:
    firms = service.list_firms(get_session()) if firms is None else firms
    return [SelectChoice("", _("— none —"))] + [SelectChoice(firm.slug, firm.name)
                                                for firm in firms]


@bp.route("/admin/users")
@roles_required(AccountRole.ADMIN)
def admin_users() -> Page:
    users = service.list_users(
        get_session(), page=request.args.get("page", 1, type=database_id) or 1,
        query=request.args.get("q", ""), account_role=request.args.get("role", ""),
    )
    return render_template("auth/admin_users.html", users=users,
                           query=request.args.get("q", ""), role=request.args.get("role", ""))


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required(AccountRole.ADMIN)
def admin_create_user() -> Page:
    form = CreateAccountForm()
    form.firm_slug.choices = _firm_choices()
    if form.validate_on_submit():
        try:
            user = service.create_account(get_session(), signed_in_user(), NewAccount(
                email=form.email.data or "", display_name=form.display_name.data or "",
                password=form.password.data or "",
                account_role=AccountRole(form.account_role.data),
                firm_slug=form.firm_slug.data or "", timezone=form.timezone.data or "",
                locale=form.locale.data or "en",
            ), now=utcnow())
        except AccountError as error:
            attach_error(form, error.field, error.message)
        else:
            flash(_("Account %(email)s created.", email=user.email), "success")
            return redirect(url_for("auth.admin_user", user_id=user.id))
    status = 422 if form.errors else 200
    return render_template("auth/admin_create_user.html", form=form), status


def _render_admin_user(user_id: int, role_form: ChangeRoleForm | None = None,
                       status: int = 200, new_link: str = "",
                       link_sent: bool = False) -> tuple[str, int]:
    db = get_session()
    user = service.get_user(db, user_id)
    firms = service.list_firms(db)
    if role_form is None:
        firm_slug = next((firm.slug for firm in firms if firm.id == user.firm_id), "")
        role_form = ChangeRoleForm(account_role=user.account_role.value, firm_slug=firm_slug)
    role_form.firm_slug.choices = _firm_choices(firms)
    return render_template(
        "auth/admin_user.html", user=user, role_form=role_form, confirm_form=ConfirmForm(),
        history=list_events_for(db, "user", user_id), new_link=new_link, link_sent=link_sent,
        link_days=password_links.LINK_LIFETIME.days,
    ), status


@bp.route("/admin/users/<int:user_id>")
@roles_required(AccountRole.ADMIN)
def admin_user(user_id: int) -> Page:
    return _render_admin_user(user_id)


@bp.route("/admin/users/<int:user_id>/role", methods=["POST"])
@roles_required(AccountRole.ADMIN)
def admin_change_role(user_id: int) -> Page:
    form = ChangeRoleForm()
    form.firm_slug.choices = _firm_choices()
    if form.validate_on_submit():
        try:
            service.change_account_role(
                get_session(), signed_in_user(), user_id,
                account_role=AccountRole(form.account_role.data),
                firm_slug=form.firm_slug.data or "", now=utcnow(),
            )
        except AccountError as error:
            attach_error(form, error.field, error.message)
        else:
            flash(_("Account role changed."), "success")
            return redirect(url_for("auth.admin_user", user_id=user_id))
    return _render_admin_user(user_id, form, 422)


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@roles_required(AccountRole.ADMIN)
def admin_set_active(user_id: int) -> Response:
    if ConfirmForm().validate_on_submit():
        active = request.form.get("active") == "1"
        service.set_account_active(get_session(), signed_in_user(), user_id, active=active,
                                   now=utcnow())
        flash(_("Account reactivated.") if active else _("Account deactivated."), "success")
    return redirect(url_for("auth.admin_user", user_id=user_id))


@bp.route("/admin/users/<int:user_id>/password-link", methods=["POST"])
@roles_required(AccountRole.ADMIN)
def admin_send_password_link(user_id: int) -> Page:
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("auth.admin_user", user_id=user_id))
    user, link = password_links.send_new_link(get_session(), signed_in_user(), user_id,
                                              utcnow(), link_for=set_password_url)
    flash(_("A new set-password link was e-mailed to %(email)s.", email=user.email), "success")
    return _render_admin_user(user_id, new_link=link or "", link_sent=True)


@bp.route("/admin/firms", methods=["GET", "POST"])
@roles_required(AccountRole.ADMIN)
def admin_firms() -> Page:
    form = FirmForm()
    if form.validate_on_submit():
        try:
            firm = service.create_firm(
                get_session(), signed_in_user(), slug=form.slug.data or "",
                name=form.name.data or "", website=form.website.data or "",
                description=form.description.data or "", now=utcnow(),
            )
        except AccountError as error:
            attach_error(form, error.field, error.message)
        else:
            flash(_("Partner firm %(name)s added.", name=firm.name), "success")
            return redirect(url_for("auth.admin_firms"))
    status = 422 if form.errors else 200
    return render_template("auth/admin_firms.html", form=form,
                           firms=service.list_firms(get_session())), status


def set_password_url(token: str) -> str:
    return url_for("auth.set_password", token=token, _external=True)


@bp.route("/admin/users/import", methods=["GET", "POST"])
@roles_required(AccountRole.ADMIN)
def admin_import_users() -> Page:
    form = ImportAccountsForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            staged, account_file = importing.stage_import(
                get_session(), signed_in_user(), filename=upload.filename or "",
                data=upload.read(importing.MAX_FILE_BYTES + 1), now=utcnow(),
            )
        except importing.ImportRefused as error:
            attach_error(form, "file", error.message)
        else:
            if account_file.encoding == importing.CHINESE_EXCEL_ENCODING:
                flash(_("The file was read as GBK/GB18030, the “CSV” of a Chinese Excel. If the "
                        "names below look garbled, save it as “CSV UTF-8” and upload it "
                        "again."), "info")
            if account_file.ignored_columns:
                flash(_("These columns are not imported: %(columns)s.",
                        columns=", ".join(account_file.ignored_columns)), "info")
            return redirect(url_for("auth.admin_import_preview", import_id=staged.id))
    status = 422 if form.errors else 200
    return render_template(
        "auth/admin_import.html", form=form, column_names=importing.COLUMN_NAMES,
        chinese_role_names=[name for name in importing.ROLE_NAMES if not name.isascii()],
        max_rows=importing.MAX_ROWS, max_size=importing.MAX_FILE_SIZE_TEXT,
        link_days=password_links.LINK_LIFETIME.days,
    ), status


@bp.route("/admin/users/import/<int(max=2147483647):import_id>")
@roles_required(AccountRole.ADMIN)
def admin_import_preview(import_id: int) -> Page:
    db = get_session()
    staged, rows = importing.get_staged_import(db, signed_in_user(), import_id, utcnow())
    return render_template("auth/admin_import_preview.html", staged=staged,
                           plan=importing.plan_import(db, rows), form=ConfirmForm())


@bp.route("/admin/users/import/<int(max=2147483647):import_id>", methods=["POST"])
@roles_required(AccountRole.ADMIN)
def admin_import_confirm(import_id: int) -> Page:
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("auth.admin_import_preview", import_id=import_id))
    result = importing.confirm_import(get_session(), signed_in_user(), import_id, now=utcnow(),
                                      link_for=set_password_url)
    links_csv = importing.links_csv(result.links).encode()
    return render_template("auth/admin_import_done.html", result=result,
                           links_href="data:text/csv;charset=utf-8;base64,"
                           + base64.b64encode(links_csv).decode())


@bp.route("/auth/set-password/<string(maxlength=100):token>", methods=["GET", "POST"])
def set_password(token: str) -> Page:
    db = get_session()
    _link, user = password_links.find_usable_link(db, token, utcnow())
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = password_links.set_password_with_link(db, token, form.password.data or "",
                                                          utcnow())
        except AccountError as error:
            attach_error(form, "password", error.message)
        else:
            _sign_in(user)
            flash(_("Your password is set. Welcome to Live Academy, %(name)s!",
                    name=user.display_name), "success")
            response = redirect(url_for("site.home"))
            response.headers["Referrer-Policy"] = "no-referrer"  # nor the redirect's next request
            return response
    response = make_response(render_template("auth/set_password.html", form=form, user=user),
                             422 if form.errors else 200)
    # The page's address is the link itself: no cache keeps it, no request it makes sends it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
