"""Database ids as they arrive from outside: in URL paths, and in forms.

An id is at most 18 digits, which every 64-bit key column holds. Anything longer would overflow
the database's integer (on SQLite, Python raises OverflowError: a 500), so it is treated like an
unknown id: a 404 in a path, a form error in a form.
"""

import re

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import register_converter

ID_PATTERN = "[0-9]{1,18}"
_ID = re.compile(rf"\A{ID_PATTERN}\Z")


def is_id(value: object) -> bool:
    return isinstance(value, int | str) and bool(_ID.match(str(value)))


def parse_id(value: object) -> int:
    """A posted id or sequence number, or -1 (matches no row, no position, no sequence) for
    anything that is not one: missing, negative, not digits, or too long for the database."""
    return int(value) if is_id(value) else -1


class IdConverter:
    """`<id:name>` in URL patterns."""

    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField that refuses values that are not ids before they reach the
    database: Django guards `pk=` against overflow, but not the `pk__in` this field runs."""

    def _check_values(self, value):
        if (self.to_field_name or "pk") == "pk":
            for item in value:
                if not is_id(item):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": item},
                    )
        return super()._check_values(value)


class IdsAdminMixin:
    """For every ModelAdmin and inline of ours: many-to-many fields take only real ids."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", IdMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ModelAdmin(IdsAdminMixin, admin.ModelAdmin):
    pass


class TabularInline(IdsAdminMixin, admin.TabularInline):
    pass


class StackedInline(IdsAdminMixin, admin.StackedInline):
    pass
