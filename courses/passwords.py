"""First sign-in: an account made from a roster signs in once with a code (courses.signin) and
must choose its own password before anything else."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from courses.models import Profile

SESSION_FLAG = "must_change_password"


@receiver(user_logged_in)
def flag_one_time_password(sender, request, user, **kwargs) -> None:
    if Profile.objects.filter(user=user, must_change_password=True).exists():
        request.session[SESSION_FLAG] = True


class PasswordChangeRequiredMiddleware:
    """Sends a user who logged in with a one-time password to choose their own first.

    It reads only the session, so it adds no query to any request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.session.get(SESSION_FLAG):
            allowed = (reverse("password_change"), reverse("logout"))
            if not request.path.startswith(allowed) and not request.path.startswith("/static/"):
                return redirect("password_change")
        return self.get_response(request)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, which also clears the first-sign-in flag. An account that has
    never had a password (it signed in with a code) sets one without giving an old one."""

    def get_form_class(self):
        if not self.request.user.has_usable_password():
            return SetPasswordForm
        return super().get_form_class()

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if self.request.session.get(SESSION_FLAG) and "old_password" in form.fields:
            # An account given a one-time password (by an administrator, say): the "old"
            # password Django asks for is that one, which a new student would not guess.
            form.fields["old_password"].label = _("One-time password")
            form.fields["old_password"].help_text = _(
                "The password you were given and just signed in with."
            )
        return form

    def get_context_data(self, **kwargs):
        """`first_sign_in`: the account must choose its own password before anything else;
        `has_password`: it has one to give (else it signed in with a one-time code)."""
        return {
            **super().get_context_data(**kwargs),
            "first_sign_in": bool(self.request.session.get(SESSION_FLAG)),
            "has_password": self.request.user.has_usable_password(),
        }

    def form_valid(self, form):
        response = super().form_valid(form)
        Profile.objects.filter(user=self.request.user).update(must_change_password=False)
        self.request.session.pop(SESSION_FLAG, None)
        messages.success(self.request, _("Your password is changed."))
        return response

    def get_success_url(self) -> str:
        return reverse("dashboard")
