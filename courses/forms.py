from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from content.ids import IdMultipleChoiceField
from content.models import Lesson
from courses.models import (
    AssignmentKind,
    LessonSet,
    Profile,
    validate_sane_date,
)
from courses.timezones import time_zone_choices
from quizzes.models import FeedbackMode, NavigationMode


class ProfileForm(forms.ModelForm):
    """A student's own settings. The time zones are the tz database's places, the common ones
    first ("Factory" and the host's "localtime" are not places: not offered, and refused)."""

    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_("Due dates and your study day are shown in it. Type to search the list."),
    )
    day_starts_at = forms.TypedChoiceField(
        label=_("New day starts at"),
        choices=[(h, f"{h:02d}:00") for h in range(24)],
        coerce=int,
        help_text=_("As in Anki: reviews done before this hour count for the day before."),
    )

    new_cards_per_day = forms.IntegerField(
        label=_("New cards a day, at most"),
        required=False,
        min_value=0,
        max_value=9999,
        help_text=_("Fewer new cards a day than your course sets, if you want. Empty: as set."),
    )

    class Meta:
        model = Profile
        fields = ["time_zone", "day_starts_at", "new_cards_per_day"]


class ClassroomForm(forms.Form):
    name = forms.CharField(label=_("Class name"), max_length=200)


class UsernameForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)


class RosterForm(forms.Form):
    roster = forms.FileField(
        label=_("Roster (CSV: username, name, email)"),
        help_text=_("One student per line. A header row is optional. At most 1 MB."),
    )

    def clean_roster(self) -> str:
        upload = self.cleaned_data["roster"]
        if upload.size > 1_000_000:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from exc


class SignInCodeForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    code = forms.CharField(
        label=_("Sign-in code"),
        max_length=20,
        help_text=_("The code your teacher gave you, like ABCD-EFGH-JKMN."),
    )


class JoinForm(forms.Form):
    code = forms.CharField(label=_("Join code"), max_length=20)


class AssignmentForm(forms.Form):
    """A new assignment. The study goal's and the quiz's settings are both on the page (the
    script shows only the chosen kind's); the other kind's are ignored, errors included. A due
    date in the past is refused until the teacher confirms it (`past_due_ok`)."""

    STUDY_FIELDS = ("target_recall",)
    QUIZ_FIELDS = (
        "question_count",
        "shuffle",
        "attempts_allowed",
        "time_limit_minutes",
        "feedback",
        "navigation",
    )

    lesson_set = forms.ModelChoiceField(
        label=_("Lesson set"), queryset=LessonSet.objects.none(), required=False
    )
    lessons = IdMultipleChoiceField(
        label=_("Or single lessons"),
        queryset=Lesson.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=300,
        required=False,
        help_text=_("Leave it empty to use the lesson set's title (or the lessons' titles)."),
    )
    students = IdMultipleChoiceField(
        label=_("Only for these students (leave empty for the whole class)"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=AssignmentKind.choices,
        widget=forms.RadioSelect,
        initial=AssignmentKind.STUDY,
    )
    opens_at = forms.DateTimeField(
        label=_("Opens (optional)"),
        required=False,
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "min": "2000-01-01T00:00", "max": "2200-12-31T23:59"}
        ),
        validators=[validate_sane_date],
    )
    due_at = forms.DateTimeField(
        label=_("Due"),
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "min": "2000-01-01T00:00", "max": "2200-12-31T23:59"}
        ),
        validators=[validate_sane_date],
    )
    past_due_ok = forms.BooleanField(
        label=_("Yes, assign it with this due date in the past"), required=False
    )
    # Entered and shown in percent; the assignment stores a fraction (0.85).
    target_recall = forms.IntegerField(
        label=_("Target recall (%)"),
        min_value=50,
        max_value=99,
        initial=85,
        help_text=_("The predicted recall, in percent, every card should reach by the due date."),
    )
    question_count = forms.IntegerField(
        label=_("Number of questions (empty for all)"),
        min_value=1,
        max_value=1000,
        required=False,
        initial=10,
    )
    shuffle = forms.BooleanField(
        label=_("Shuffle questions and options"), required=False, initial=True
    )
    attempts_allowed = forms.IntegerField(
        label=_("Attempts allowed (empty for unlimited)"),
        min_value=1,
        max_value=100,
        required=False,
    )
    time_limit_minutes = forms.IntegerField(
        label=_("Time limit in minutes (optional)"),
        min_value=1,
        max_value=600,
        required=False,
    )
    feedback = forms.ChoiceField(
        label=_("Feedback"), choices=FeedbackMode.choices, initial=FeedbackMode.IMMEDIATE
    )
    navigation = forms.ChoiceField(
        label=_("Questions"),
        choices=NavigationMode.choices,
        initial=NavigationMode.SEQUENTIAL,
        required=False,  # not sent: in order, as before the setting existed
        help_text=_(
            "In any order: students may go to any question, and with feedback at the end "
            "change their answers until they submit."
        ),
    )

    def clean_navigation(self) -> str:
        return self.cleaned_data["navigation"] or NavigationMode.SEQUENTIAL

    def __init__(self, *args, classroom, now, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now
        self.past_due = False  # the due date is in the past and not confirmed yet
        self.fields["lesson_set"].queryset = LessonSet.objects.select_related("course").order_by(
            "course__title", "position"
        )
        # The script names the assignment after the chosen option's text: the set's title.
        self.fields["lesson_set"].label_from_instance = lambda lesson_set: lesson_set.title
        self.fields["lessons"].queryset = Lesson.objects.active().order_by("title")
        self.fields["students"].queryset = (
            get_user_model()
            .objects.filter(enrollments__classroom=classroom, enrollments__removed_at__isnull=True)
            .order_by("username")
        )
        self.fields["students"].label_from_instance = lambda u: u.get_full_name() or u.username

    def clean(self):
        data = super().clean()
        # The other kind's settings are not used: neither their values nor their errors count.
        kind = data.get("kind")
        unused = {AssignmentKind.STUDY: self.QUIZ_FIELDS, AssignmentKind.QUIZ: self.STUDY_FIELDS}
        for name in unused.get(kind, ()):
            self.errors.pop(name, None)
            data[name] = self.fields[name].initial
        if not data.get("lesson_set") and not data.get("lessons"):
            raise forms.ValidationError(_("Choose a lesson set or at least one lesson."))
        if data.get("lesson_set") and data.get("lessons"):
            raise forms.ValidationError(_("Choose a lesson set or single lessons, not both."))
        opens, due = data.get("opens_at"), data.get("due_at")
        if opens and due and opens >= due:
            self.add_error("due_at", _("The due date must come after the opening date."))
        elif due and due < self.now and not data.get("past_due_ok"):
            self.past_due = True
            self.add_error(
                "due_at",
                forms.ValidationError(
                    _(
                        "This due date is in the past: students will see the assignment as "
                        "overdue at once. Check the date, or confirm below."
                    ),
                    code="past",
                ),
            )
        return data
