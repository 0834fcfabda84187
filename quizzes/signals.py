"""Starting or finishing an attempt changes which of the student's cards wait for it
(courses.selectors.StudyContext.held_questions): forget their cached study context."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from content import usercache
from quizzes.models import Attempt, CardSuspension


@receiver(post_save, sender=Attempt, dispatch_uid="usercache-attempt-save")
def attempt_saved(sender, instance: Attempt, created: bool, update_fields=None, **kwargs) -> None:
    # Moving from one question to the next (position, seq) changes nothing held.
    if created or update_fields is None or "finished_at" in update_fields:
        usercache.forget_user(instance.student_id)


@receiver(post_delete, sender=Attempt, dispatch_uid="usercache-attempt-delete")
def attempt_deleted(sender, instance: Attempt, **kwargs) -> None:
    usercache.forget_user(instance.student_id)


# A suspended card leaves the student's reviews (StudyContext.suspended). The services write
# suspensions in bulk and forget the context themselves; these cover every other write.
@receiver(post_save, sender=CardSuspension, dispatch_uid="usercache-suspension-save")
@receiver(post_delete, sender=CardSuspension, dispatch_uid="usercache-suspension-delete")
def suspension_changed(sender, instance: CardSuspension, **kwargs) -> None:
    usercache.forget_user(instance.student_id)
