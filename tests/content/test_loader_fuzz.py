"""Property: whatever a lesson file holds, loading it succeeds or fails cleanly.

Hypothesis mutates the mini course's lesson file (drops fields, changes types, puts huge, NUL
and odd strings, deep nesting, shared values that become YAML aliases, numbers out of range, and
splices raw fragments into the text) and loads the course over the stored mini course. The load
either succeeds, having stored only what every database can store (so that SQLite passing says
PostgreSQL would too), or raises ContentError whose every message is `file:line: message`, having
written nothing. Never another exception.

Every example runs in a savepoint that is rolled back, so each starts from the same database:
the mini course loaded once by the `mini` fixture.
"""

import copy
import math
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.db import transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from content.loader import ContentError, load_content
from tests.content.test_loader_limits import MODELS, stored

MINI = Path(__file__).resolve().parent.parent / "data" / "mini-course"
LESSON = "lessons/01-mini.yaml"
ORIGINAL = yaml.safe_load((MINI / LESSON).read_text())
MESSAGE = re.compile(r"(?P<file>[^\n]+?):(?P<line>[1-9][0-9]*): [^\n]+")
# What PostgreSQL refuses (NUL, lone surrogates) and other control characters but tab and newline.
UNSTORABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")

# Written once, or repeated past a column's length or the 20,000-character paragraph.
ODD_STRINGS = ["", " ", "x", "\x00", "a\x00b", "\x07", "\x1b[31m", "\x85", "\u2028", "\ud800",
               "🙂", "[[", "[[a]]", "[^nope]", "&a", "*a", "<<", "%", "---", "mini-single",
               "single_choice", "/dev/zero"]  # fmt: skip
REPEATS = [1, 2, 101, 301, 5000, 70_000]
NUMBERS = [0, -1, 1, 32767, 32768, 2**31, 2**63, 10**30, 1e308, -1e308, 0.5]
# Spliced into the text, once or many times over.
FRAGMENTS = ["\x00", "&a ", "*a", "<<: {}", "? [a]\n: b\n", "!!binary AAE=",
             "!!python/object/apply:os.system ['true']", "!!timestamp 2021-13-45", "0x_", "1",
             ".nan", "-.inf", "[", "- ", "{a: ", "\t", "'", '"', ": ", "\n  extra: 1\n",
             "\n---\n", "%YAML 1.1\n", "\udcff", "[[", "\\0"]  # fmt: skip


def deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return value


values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.sampled_from(NUMBERS),
        st.integers(),
        st.floats(),  # NaN and infinities included
        st.text(max_size=40),
        st.tuples(st.sampled_from(ODD_STRINGS), st.sampled_from(REPEATS)).map(
            lambda pair: pair[0] * pair[1]
        ),
        st.integers(min_value=15, max_value=40).map(deep),
    ),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=8,
)


def paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in the document, as a path of keys and indexes."""
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(paths(value, (*prefix, index)))
    return found


def at(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


@st.composite
def lesson_texts(draw: st.DrawFn) -> bytes:
    data = copy.deepcopy(ORIGINAL)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(paths(data)[1:]))
        parent, last = at(data, path[:-1]), path[-1]
        kind = draw(st.sampled_from(["drop", "replace", "share", "lengthen"]))
        if kind == "drop":
            del parent[last]
        elif kind == "replace":
            parent[last] = draw(values)
        elif kind == "share":
            # The same list or mapping in two places: the YAML dumper writes an anchor and alias.
            other = draw(st.sampled_from(paths(data)[1:]))
            shared = at(data, other)
            if isinstance(shared, dict | list) and path[: len(other)] != other:
                parent[last] = shared
        elif isinstance(parent[last], str):
            parent[last] *= draw(st.sampled_from([2, 50, 5000]))
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    if draw(st.booleans()):
        # Where a value starts, or anywhere.
        starts = [m.end() for m in re.finditer(r": |- ", text)]
        cut = draw(st.sampled_from(starts) | st.integers(min_value=0, max_value=len(text)))
        fragment = draw(st.sampled_from(FRAGMENTS)) * draw(st.sampled_from([1, 3, 5000]))
        text = text[:cut] + fragment + text[cut:]
    # Lone surrogates are written as they are: the file is then not UTF-8.
    return text.encode("utf-8", "surrogatepass")


def check(course: Path) -> None:
    """Load the course; on failure, every message names one of its files and a line."""
    files = {str(course / "course.yaml"), str(course / LESSON), str(course / "sources/mini.txt")}
    before = stored()
    try:
        load_content([course])
    except ContentError as exc:
        errors = exc.errors
    else:
        event("loaded")
        assert_storable()
        return
    event("refused")
    assert errors
    for error in errors:
        match = MESSAGE.fullmatch(error)
        assert match, error
        assert match["file"] in files, error
    assert stored() == before


def scalars(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [*value.keys(), *(s for v in value.values() for s in scalars(v))]
    if isinstance(value, list):
        return [s for v in value for s in scalars(v)]
    return [value]


def assert_storable() -> None:
    """Every stored value fits its column on every database: length, characters, range."""
    for model in MODELS:
        for row in model.objects.values():
            for name, value in row.items():
                field = model._meta.get_field(name)
                ranges = BaseDatabaseOperations.integer_field_ranges
                if isinstance(value, int) and field.get_internal_type() in ranges:
                    low, high = ranges[field.get_internal_type()]
                    assert low <= value <= high, (model, name, value)
                if isinstance(value, str) and field.max_length:
                    assert len(value) <= field.max_length, (model, name, len(value))
                for scalar in scalars(value):
                    if isinstance(scalar, str):
                        assert not UNSTORABLE.search(scalar), (model, name, scalar[:80])
                    if isinstance(scalar, float):
                        assert math.isfinite(scalar), (model, name, scalar)


@pytest.mark.django_db
def test_the_unmutated_lesson_loads_through_the_same_harness(mini):
    lesson = yaml.safe_dump(ORIGINAL, allow_unicode=True, sort_keys=False)
    with tempfile.TemporaryDirectory() as root:
        course = Path(root) / "mini-course"
        shutil.copytree(MINI, course)
        (course / LESSON).write_text(lesson)

        report = load_content([course])

    assert report.questions == 8 and report.flashcards == 5


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    # `mini` loads the course once for all examples; each example rolls back its own writes.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lesson=lesson_texts())
def test_a_mutated_lesson_loads_or_fails_cleanly_and_writes_nothing_on_failure(mini, lesson):
    with tempfile.TemporaryDirectory() as root:
        course = Path(root) / "mini-course"
        shutil.copytree(MINI, course)
        (course / LESSON).write_bytes(lesson)
        with transaction.atomic():
            check(course)
            transaction.set_rollback(True)
