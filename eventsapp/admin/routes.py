"""The coordinator's screens: an overview of the network, member organisations and staff
accounts. Every view is the coordinator's only; the work is done in `services`."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from eventsapp.admin import services
from eventsapp.admin.forms import (
    ROLE_LABELS,
    STATUS_LABELS,
    InviteForm,
    OrganisationForm,
    UserFilterForm,
    UserForm,
)
from eventsapp.auth.access import requires
from eventsapp.extensions import db
from eventsapp.models import EventStatus, Role

bp = Blueprint("admin", __name__, url_prefix="/admin")

EVENT_STATUS_LABELS = {
    EventStatus.DRAFT: _l("Drafts"),
    EventStatus.PUBLISHED: _l("Published"),
    EventStatus.CANCELLED: _l("Cancelled"),
}


@bp.context_processor
def _labels() -> dict:
    return {
        "ROLE_LABELS": ROLE_LABELS,
        "USER_STATUSES": STATUS_LABELS,
        "user_status": services.status_of,
        "ROLES": list(Role),
    }


def _refused(form, error: services.Refused) -> None:
    """Show a refusal beside its field, or at the top of the page."""
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
    else:
        flash(str(error.message), "error")


@bp.get("/")
@requires("coordinator")
def index():
    return render_template(
        "admin/index.html",
        overview=services.overview(),
        event_statuses=EVENT_STATUS_LABELS,
    )


# --- organisations ----------------------------------------------------------------------------


@bp.get("/organisations")
@requires("coordinator")
def organisations():
    return render_template("admin/organisations.html", rows=services.organisation_rows())


@bp.route("/organisations/new", methods=["GET", "POST"])
@requires("coordinator")
def new_organisation():
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            organisation = services.create_organisation(form.to_data())
        except services.Refused as error:
            db.session.rollback()
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("Organisation %(name)s added.", name=organisation.name), "success")
            return redirect(url_for(".organisations"), code=303)
    return render_template("admin/organisation_form.html", form=form, organisation=None)


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@requires("coordinator")
def edit_organisation(organisation_id: int):
    organisation = services.get_organisation(organisation_id) or abort(404)
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        try:
            services.update_organisation(organisation, form.to_data())
        except services.Refused as error:
            db.session.rollback()
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("Organisation %(name)s saved.", name=organisation.name), "success")
            return redirect(url_for(".organisations"), code=303)
    return render_template("admin/organisation_form.html", form=form, organisation=organisation)


# --- users ------------------------------------------------------------------------------------


@bp.get("/users")
@requires("coordinator")
def users():
    organisations = services.organisations()
    filters = UserFilterForm(request.args)
    filters.set_organisations(organisations)
    wanted = filters.to_filter()
    return render_template(
        "admin/users.html",
        users=services.list_users(wanted),
        filters=filters,
        filtering=wanted != services.UserFilter(),
    )


@bp.route("/users/invite", methods=["GET", "POST"])
@requires("coordinator")
def invite():
    form = InviteForm()
    form.set_organisations(services.organisations())
    valid = form.validate_on_submit()
    existing = form.existing
    if valid:
        try:
            user = services.invite_user(form.email.data, **form.roles())
        except services.Refused as error:
            db.session.rollback()
            _refused(form, error)
            existing = error.subject
        else:
            db.session.commit()
            flash(
                _(
                    "%(email)s has been invited. The invitation with a link for setting a "
                    "password is on its way.",
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for(".edit_user", user_id=user.id), code=303)
    return render_template("admin/user_invite.html", form=form, existing=existing)


def _user(user_id: int):
    return services.get_user(user_id) or abort(404)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires("coordinator")
def edit_user(user_id: int):
    user = _user(user_id)
    form = UserForm(
        data={
            "name": user.name,
            "coordinator": user.is_coordinator,
            "organiser_of": sorted(user.organisation_ids(Role.ORGANISER)),
            "coach_of": sorted(user.organisation_ids(Role.COACH)),
        }
    )
    form.set_organisations(services.organisations())
    if form.validate_on_submit():
        try:
            services.update_user(user_id, current_user, **form.roles())
        except services.Refused as error:
            db.session.rollback()
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("The account of %(name)s has been saved.", name=user.display_name), "success")
            return redirect(url_for(".edit_user", user_id=user_id), code=303)
    return render_template("admin/user_edit.html", form=form, user=user)


def _account_action(user_id: int, action):
    """Run a deactivation or reactivation; the user, or None if it was refused (and said so)."""
    try:
        user = action(user_id, current_user)
    except services.Refused as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return None
    if user is None:
        abort(404)
    db.session.commit()
    return user


@bp.post("/users/<int:user_id>/deactivate")
@requires("coordinator")
def deactivate_user(user_id: int):
    user = _account_action(user_id, services.deactivate_user)
    if user is not None:
        flash(
            _("%(name)s has been deactivated and signed out everywhere.", name=user.display_name),
            "success",
        )
    return redirect(url_for(".edit_user", user_id=user_id), code=303)


@bp.post("/users/<int:user_id>/reactivate")
@requires("coordinator")
def reactivate_user(user_id: int):
    user = _account_action(user_id, services.reactivate_user)
    if user is not None:
        flash(
            _("%(name)s has been reactivated and can log in again.", name=user.display_name),
            "success",
        )
    return redirect(url_for(".edit_user", user_id=user_id), code=303)


@bp.post("/users/<int:user_id>/resend-invitation")
@requires("coordinator")
def resend_invitation(user_id: int):
    user = _user(user_id)
    try:
        services.resend_invitation(user)
    except services.Refused as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("The invitation has been sent again to %(email)s.", email=user.email), "success")
    return redirect(url_for(".edit_user", user_id=user_id), code=303)
