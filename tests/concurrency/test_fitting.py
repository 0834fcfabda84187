"""The course scheduling page's forms (issue 13) sent from several tabs at the same moment: "Fit
now", "Use these", "Back to defaults" and saving a desired retention."""

from functools import partial

from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from courses.fitting import DEFAULT_PARAMETERS
from courses.models import Course, FitStatus, ParameterFit
from tests.factories import AuthorFactory, ParameterFitFactory, StudentFactory

TABS = 4


def _winning_fit(course: Course, **fields) -> ParameterFit:
    return ParameterFitFactory(
        course=course,
        parameters=[w * 1.01 for w in DEFAULT_PARAMETERS],
        log_loss=0.40,
        rmse_bins=0.05,
        default_log_loss=0.45,
        default_rmse_bins=0.08,
        **fields,
    )


def test_fit_now_pressed_in_four_tabs_at_once_queues_one_fit_and_one_task(
    mini, settings, tabs_for, race, server_errors
):
    # The database backend, as in production: the fit stays queued for a worker (the tests'
    # immediate backend would run it inside the request).
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    tabs = tabs_for(AuthorFactory())
    url = reverse("author_scheduling_fit", args=[mini.key])

    responses = race(*[partial(tabs.post, url)] * TABS)

    assert [r.status_code for r in responses] == [302] * TABS
    [fit] = ParameterFit.objects.all()
    assert fit.status == FitStatus.QUEUED and fit.course == mini
    [task] = DBTaskResult.objects.all()
    assert task.args_kwargs["kwargs"] == {"fit_id": fit.pk}
    assert server_errors() == []


def test_use_these_and_back_to_defaults_at_once_leave_at_most_one_fit_in_force(
    mini, tabs_for, race, server_errors
):
    first, second = _winning_fit(mini), _winning_fit(mini)
    tabs = tabs_for(AuthorFactory())
    use = partial(reverse, "author_scheduling_use")
    posts = [
        partial(tabs.post, use(args=[mini.key, first.pk])),
        partial(tabs.post, use(args=[mini.key, second.pk])),
        partial(tabs.post, use(args=[mini.key, first.pk])),
        partial(tabs.post, reverse("author_scheduling_defaults", args=[mini.key])),
    ]

    responses = race(*posts)

    assert [r.status_code for r in responses] == [302] * len(posts)
    assert ParameterFit.objects.filter(in_force=True).count() <= 1
    assert ParameterFit.objects.count() == 2
    assert server_errors() == []


def test_a_students_fit_put_in_force_while_every_student_goes_back(
    mini, tabs_for, race, server_errors
):
    student = StudentFactory()
    fits = [_winning_fit(mini, student=student) for _ in range(TABS - 1)]
    tabs = tabs_for(AuthorFactory())
    posts = [
        *(
            partial(tabs.post, reverse("author_scheduling_use", args=[mini.key, fit.pk]))
            for fit in fits
        ),
        partial(tabs.post, reverse("author_scheduling_students_defaults", args=[mini.key])),
    ]

    responses = race(*posts)

    assert [r.status_code for r in responses] == [302] * len(posts)
    assert ParameterFit.objects.filter(student=student, in_force=True).count() <= 1
    assert server_errors() == []


def test_two_retentions_saved_at_once_leave_one_of_them(mini, tabs_for, race, server_errors):
    tabs = tabs_for(AuthorFactory())
    url = reverse("author_scheduling_retention", args=[mini.key])
    values = ["0.85", "0.93", "0.85", "0.93"]

    responses = race(*[partial(tabs.post, url, {"desired_retention": v}) for v in values])

    assert [r.status_code for r in responses] == [302] * len(values)
    mini.refresh_from_db()
    assert mini.desired_retention in {0.85, 0.93}
    assert server_errors() == []
