"""Log in and out, change a password, reset a forgotten one."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from eventsapp.auth import services
from eventsapp.auth.access import requires, safe_next
from eventsapp.auth.forms import ChangePasswordForm, LoginForm, ResetRequestForm, SetPasswordForm
from eventsapp.auth.services import email_key
from eventsapp.extensions import db, limiter, within_limit

bp = Blueprint("auth", __name__)


def home_for(user) -> str:
    """Where a user lands after logging in: their one area, or the account page."""
    areas = [
        (role, endpoint)
        for role, endpoint in (
            ("coordinator", "admin.index"),
            ("organiser", "manage.index"),
            ("coach", "coach.index"),
        )
        if role in user.roles and endpoint in current_app.view_functions
    ]
    return url_for(areas[0][1]) if len(areas) == 1 else url_for("auth.account")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        if not within_limit(
            "LOGIN_ACCOUNT_RATE_LIMIT", "login-account", email_key(form.email.data)
        ):
            abort(429)  # one account guessed at, from however many addresses
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            target = safe_next(home_for(user))
            session.clear()  # a new session (and CSRF token) for the signed-in user
            login_user(user, remember=form.remember.data)
            return redirect(target, code=303)
        failed = True
    return render_template("auth/login.html", form=form, failed=failed)


@bp.post("/logout")
def logout():
    """Ends the session on the server too: the user's session token changes, so a copy of
    the session or remember-me cookie opens nothing any more."""
    if current_user.is_authenticated:
        services.end_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_l("You have logged out."), "success")
    return redirect(url_for("catalogue.index"), code=303)


@bp.get("/account")
@requires("any")
def account():
    return render_template("auth/account.html", roles=services.roles_of(current_user))


@bp.route("/account/password", methods=["GET", "POST"])
@requires("any")
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if current_user.check_password(form.current.data):
            current_user.set_password(form.password.data)
            db.session.commit()
            login_user(current_user._get_current_object())  # follows the new session token
            flash(_l("Your password has been changed."), "success")
            return redirect(url_for("auth.account"), code=303)
        form.current.errors = [*form.current.errors, _l("The current password is not right.")]
    return render_template("auth/password.html", form=form)


def _reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


@bp.route("/reset-password", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        if within_limit("RESET_RATE_LIMIT", "reset-email", email_key(form.email.data)):
            services.request_password_reset(form.email.data)
        db.session.commit()
        flash(
            _l(
                "If the address belongs to an account, we have sent a link for setting a new "
                "password to it. The link works for two hours."
            ),
            "success",
        )
        return redirect(url_for("auth.login"), code=303)
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset(token: str):
    user = services.user_for_reset(token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        db.session.commit()
        login_user(user)
        flash(_l("Your password has been set."), "success")
        return redirect(home_for(user), code=303)
    return render_template("auth/reset.html", form=form)
