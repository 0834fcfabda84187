"""config.reversing: one reverse() per pattern, filled in per row, as reverse() itself would."""

import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix

from config.reversing import url_for_each


@pytest.mark.parametrize(
    ("name", "args", "last"),
    [
        ("content:lesson", (), "vietnam-three-nos"),
        ("quizzes:card_report", (), 42),
        ("class_student", (7,), 1234567),
    ],
)
def test_each_url_is_what_reverse_gives(name, args, last):
    assert url_for_each(name, *args)(last) == reverse(name, args=[*args, last])


def test_a_script_prefix_is_kept_apart():
    """The parts are kept per script prefix: a site served under /school/ links under it."""
    try:
        set_script_prefix("/school/")
        under = url_for_each("content:lesson")("a")
    finally:
        clear_script_prefix()
    assert under.startswith("/school/") and under.endswith("/a/")
    assert url_for_each("content:lesson")("a") == reverse("content:lesson", args=["a"])
    assert not url_for_each("content:lesson")("a").startswith("/school/")
