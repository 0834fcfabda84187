"""The `<id:...>` path converter for database ids.

Django's `<int:...>` takes any number of digits, and an id of 10^24 then overflows the database's
integer (a 500 on SQLite and PostgreSQL alike). An id is at most 18 digits, which every 64-bit
key column holds; anything longer does not match, so it is a 404 like any unknown id.
"""

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
