"""Background work on courses, run by a task worker (`manage.py db_worker`, docs/deploy.md)."""

from django.tasks import task

from courses.fitting import fit_run


@task()
def parameters_fit(*, fit_id: int) -> str:
    """Fit FSRS's parameters to a course's review log (courses.fitting.fit_run): the fit goes
    from queued to running to done or failed, with what went wrong in its note; then each
    student with enough reviews of their own gets a fit. Returns the course fit's status
    ("gone" if it was deleted, with its course, before it ran)."""
    fit = fit_run(fit_id=fit_id)
    return fit.status if fit else "gone"
