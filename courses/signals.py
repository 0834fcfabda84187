"""What forgets the cached study contexts (courses.selectors.study_context) when their rows change.

Model signals catch every save and delete, the admin's included; the few bulk updates that
bypass them call content.usercache themselves (courses.services.enrollment_remove, the loader).
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from content import usercache
from content.models import Lesson
from courses.models import (
    Assignment,
    AssignmentLesson,
    Classroom,
    Course,
    Enrollment,
    Invitation,
    LessonSet,
    LessonSetItem,
    ParameterFit,
    Profile,
)

# A change to any of these can change the lessons, or the limits, of many students at once.
for model in (
    Assignment,
    AssignmentLesson,
    Classroom,
    Course,
    Enrollment,
    Invitation,
    LessonSet,
    LessonSetItem,
    Lesson,
):
    post_save.connect(usercache.forget_all, sender=model, dispatch_uid=f"usercache-{model}-save")
    post_delete.connect(
        usercache.forget_all, sender=model, dispatch_uid=f"usercache-{model}-delete"
    )
m2m_changed.connect(
    usercache.forget_all,
    sender=Assignment.students.through,
    dispatch_uid="usercache-assignment-students",
)
# The context holds the user's roles: a change of groups, from either side, forgets them all.
m2m_changed.connect(
    usercache.forget_all,
    sender=get_user_model().groups.through,
    dispatch_uid="usercache-user-groups",
)


@receiver(post_save, sender=Profile, dispatch_uid="usercache-profile-save")
def profile_saved(sender, instance: Profile, **kwargs) -> None:
    usercache.forget_user(instance.user_id)


@receiver(post_save, sender=ParameterFit, dispatch_uid="usercache-parameter-fit-save")
@receiver(post_delete, sender=ParameterFit, dispatch_uid="usercache-parameter-fit-delete")
def parameter_fit_changed(sender, instance: ParameterFit, **kwargs) -> None:
    """The parameters in force are in every context of the fit's course: a fit in force, or one
    that was when it was read, forgets them all. A fit's progress (queued, fitting, done) does
    not."""
    if instance.in_force or instance.in_force_when_read:
        usercache.forget_all()
    instance.in_force_when_read = instance.in_force
