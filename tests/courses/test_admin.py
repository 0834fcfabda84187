"""The admin shows and takes an assignment's target recall in percent, as the site does."""

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse

from courses.admin import PercentField
from courses.models import Assignment
from tests.factories import AssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_target_recall_reads_and_is_entered_in_percent(client, rf):
    assignment = AssignmentFactory(target_recall=0.85)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    html = client.get(reverse("admin:courses_assignment_change", args=[assignment.pk])).content
    assert b'name="target_recall" value="85"' in html and b"Target recall (%)" in html
    listing = client.get(reverse("admin:courses_assignment_changelist")).content.decode()
    assert "85%" in listing
    add = client.get(reverse("admin:courses_assignment_add")).content
    assert b'name="target_recall" value="85"' in add  # the default, in percent

    field = PercentField(min_value=50, max_value=99)
    assert field.clean("90") == 0.9
    with pytest.raises(ValidationError):
        field.clean("0.9")  # a fraction is not a percent
    with pytest.raises(ValidationError):
        field.clean("100")
    assert (
        admin.site._registry[Assignment]
        .formfield_for_dbfield(Assignment._meta.get_field("target_recall"), rf.get("/"))
        .clean("80")
        == 0.8
    )
