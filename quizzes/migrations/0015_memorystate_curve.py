"""Each memory state keeps the forgetting curve of the parameters that computed it (`decay` and
`factor`: FSRS's defaults, or a fitted set's, courses.ParameterFit), and the recall rollup's
triggers (0007, 0010) compute each state's recall with its own curve instead of the defaults'
constants. Existing states were all computed with the defaults, which the columns' default is.

The SQL is that of 0007 and 0010 with the curve read from the row; frozen here like theirs.
Going back restores their triggers (and would sum every state with the defaults' curve again).
"""

import importlib

from django.db import migrations, models

POINTS = 16  # r0 … r15
SUMS = [f"r{k}" for k in range(POINTS)]
COLUMNS = "student_id, lesson_id, base_day, n, " + ", ".join(SUMS)
ZEROS = ", ".join("0" for _ in SUMS)
COUNTED = "{ms}.stability IS NOT NULL AND {ms}.last_review_days IS NOT NULL"
TODAY = {
    "postgresql": "floor(extract(epoch FROM now()) / 86400)::integer",
    "sqlite": "(CAST(strftime('%s', 'now') AS INTEGER) / 86400)",
}
STATE_COLUMNS = "student_id, card_id, stability, last_review_days, decay, factor"


def recall(vendor: str, day: str, side: tuple[str, str, str, str]) -> str:
    """The recall at 00:00 UTC of `day` (days since 1970) of a state given as (stability, last
    review days, decay, factor); NULL when its stability is NULL."""
    s, t, d, f = side
    greatest = "GREATEST" if vendor == "postgresql" else "MAX"
    return f"POWER(1.0 + {f} * {greatest}(({day}) - {t}, 0.0) / {s}, {d})"


def of(row: str) -> tuple[str, str, str, str]:
    return (f"{row}.stability", f"{row}.last_review_days", f"{row}.decay", f"{row}.factor")


NEW_ARGS = ("s_new", "t_new", "d_new", "f_new")
OLD_ARGS = ("s_old", "t_old", "d_old", "f_old")


def adding(vendor: str, sign: str, base: str, side: tuple[str, str, str, str]) -> str:
    """SET clauses adding (sign "+") or taking away ("-") one state's contribution."""
    return ", ".join(
        [f"n = n {sign} 1"]
        + [f"{c} = {c} {sign} {recall(vendor, f'{base} + {k}', side)}" for k, c in enumerate(SUMS)]
    )


def state_function(*, shortcut: bool) -> str:
    """The state trigger's function: with 0010's shorter way for a rating (or without it)."""
    v = "postgresql"
    declare, first = "", ""
    if shortcut:
        deltas = "\n".join(
            f"            d{k} := {recall(v, f'base + {k}', of('NEW'))}"
            f" - COALESCE({recall(v, f'base + {k}', of('OLD'))}, 0);"
            for k in range(POINTS)
        )
        sums = ", ".join(f"r{k} = r{k} + d{k}" for k in range(POINTS))
        declare = "\n    row_id bigint;\n    base integer;" + "".join(
            f"\n    d{k} double precision;" for k in range(POINTS)
        )
        first = f"""
    -- A rating of a card seen before, or a first rating: one read of the row (with the card's
    -- lesson), the changes computed here, and one update of the row by its id, if its day
    -- points are still those the changes were computed for. Else, the general way below.
    IF NEW.stability IS NOT NULL AND NEW.last_review_days IS NOT NULL AND (TG_OP = 'INSERT'
            OR (TG_OP = 'UPDATE' AND NEW.student_id = OLD.student_id
            AND NEW.card_id = OLD.card_id
            AND OLD.stability IS NOT NULL AND OLD.last_review_days IS NOT NULL)) THEN
        SELECT r.id, r.base_day INTO row_id, base FROM quizzes_recallrollup r
            JOIN quizzes_card c ON c.lesson_id = r.lesson_id
            WHERE c.id = NEW.card_id AND c.retired_at IS NULL AND r.student_id = NEW.student_id;
        IF row_id IS NOT NULL THEN
{deltas}
            UPDATE quizzes_recallrollup
                SET n = n + CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE 0 END, {sums}
                WHERE id = row_id AND base_day = base;
            IF FOUND THEN
                RETURN NULL;
            END IF;
        END IF;
    END IF;
"""
    return f"""
CREATE OR REPLACE FUNCTION quizzes_recall_rollup_state() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_lesson bigint;
    new_lesson bigint;
{declare}
BEGIN
{first}    IF TG_OP <> 'INSERT' AND OLD.stability IS NOT NULL
            AND OLD.last_review_days IS NOT NULL THEN
        SELECT lesson_id INTO old_lesson FROM quizzes_card
            WHERE id = OLD.card_id AND retired_at IS NULL;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.stability IS NOT NULL AND NEW.last_review_days IS NOT NULL THEN
        SELECT lesson_id INTO new_lesson FROM quizzes_card
            WHERE id = NEW.card_id AND retired_at IS NULL;
    END IF;
    IF old_lesson IS NOT NULL AND new_lesson IS NOT NULL
            AND OLD.student_id = NEW.student_id AND old_lesson = new_lesson THEN
        PERFORM quizzes_recall_rollup_add(NEW.student_id, new_lesson, 0,
            NEW.stability, NEW.last_review_days, NEW.decay, NEW.factor,
            OLD.stability, OLD.last_review_days, OLD.decay, OLD.factor);
        RETURN NULL;
    END IF;
    IF old_lesson IS NOT NULL THEN
        PERFORM quizzes_recall_rollup_add(OLD.student_id, old_lesson, -1,
            NULL, NULL, NULL, NULL, OLD.stability, OLD.last_review_days, OLD.decay, OLD.factor);
    END IF;
    IF new_lesson IS NOT NULL THEN
        PERFORM quizzes_recall_rollup_add(NEW.student_id, new_lesson, 1,
            NEW.stability, NEW.last_review_days, NEW.decay, NEW.factor, NULL, NULL, NULL, NULL);
    END IF;
    RETURN NULL;
END $$;

"""


def postgresql_sql() -> tuple[str, str]:
    v = "postgresql"
    moved = ", ".join(
        ["n = n + dn"]
        + [
            f"{c} = {c} + (COALESCE({recall(v, f'base_day + {k}', NEW_ARGS)}, 0)"
            f" - COALESCE({recall(v, f'base_day + {k}', OLD_ARGS)}, 0))"
            for k, c in enumerate(SUMS)
        ]
    )
    counted = COUNTED.format(ms="ms")
    double = "double precision"
    create = f"""
CREATE FUNCTION quizzes_recall_rollup_add(p_student bigint, p_lesson bigint, dn integer,
    s_new {double}, t_new {double}, d_new {double}, f_new {double},
    s_old {double}, t_old {double}, d_old {double}, f_old {double})
    RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- Add the new side's recall minus the old side's at each day point of the row; NULLs for
    -- a side that does not count. A row is created only to add to it.
    UPDATE quizzes_recallrollup SET {moved}
        WHERE student_id = p_student AND lesson_id = p_lesson;
    IF NOT FOUND AND s_new IS NOT NULL THEN
        INSERT INTO quizzes_recallrollup ({COLUMNS})
            VALUES (p_student, p_lesson, {TODAY[v]}, 0, {ZEROS})
            ON CONFLICT (student_id, lesson_id) DO NOTHING;
        UPDATE quizzes_recallrollup SET {moved}
            WHERE student_id = p_student AND lesson_id = p_lesson;
    END IF;
END $$;

{state_function(shortcut=True)}
CREATE TRIGGER quizzes_recall_rollup_state
    AFTER INSERT OR DELETE OR UPDATE OF {STATE_COLUMNS}
    ON quizzes_memorystate FOR EACH ROW EXECUTE FUNCTION quizzes_recall_rollup_state();

CREATE FUNCTION quizzes_recall_rollup_card() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A card retired, restored or moved to another lesson: its states leave the old
    -- (student, lesson) rows and join the new ones.
    IF OLD.retired_at IS NULL THEN
        UPDATE quizzes_recallrollup r
            SET {adding(v, "-", "r.base_day", of("ms"))}
            FROM quizzes_memorystate ms
            WHERE ms.card_id = OLD.id AND {counted}
                AND r.student_id = ms.student_id AND r.lesson_id = OLD.lesson_id;
    END IF;
    IF NEW.retired_at IS NULL THEN
        INSERT INTO quizzes_recallrollup ({COLUMNS})
            SELECT ms.student_id, NEW.lesson_id, {TODAY[v]}, 0, {ZEROS}
            FROM quizzes_memorystate ms WHERE ms.card_id = NEW.id AND {counted}
            ON CONFLICT (student_id, lesson_id) DO NOTHING;
        UPDATE quizzes_recallrollup r
            SET {adding(v, "+", "r.base_day", of("ms"))}
            FROM quizzes_memorystate ms
            WHERE ms.card_id = NEW.id AND {counted}
                AND r.student_id = ms.student_id AND r.lesson_id = NEW.lesson_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER quizzes_recall_rollup_card
    AFTER UPDATE OF retired_at, lesson_id ON quizzes_card FOR EACH ROW
    WHEN ((OLD.retired_at IS NULL) IS DISTINCT FROM (NEW.retired_at IS NULL)
        OR OLD.lesson_id IS DISTINCT FROM NEW.lesson_id)
    EXECUTE FUNCTION quizzes_recall_rollup_card();
"""
    drop = f"""
DROP TRIGGER IF EXISTS quizzes_recall_rollup_card ON quizzes_card;
DROP TRIGGER IF EXISTS quizzes_recall_rollup_state ON quizzes_memorystate;
DROP FUNCTION IF EXISTS quizzes_recall_rollup_card();
DROP FUNCTION IF EXISTS quizzes_recall_rollup_state();
DROP FUNCTION IF EXISTS quizzes_recall_rollup_add(bigint, bigint, integer, {double}, {double},
    {double}, {double}, {double}, {double}, {double}, {double});
"""
    return create, drop


def sqlite_sql() -> tuple[list[str], list[str]]:
    v = "sqlite"
    table = "quizzes_recallrollup"
    counted = COUNTED.format(ms="ms")

    def lesson_of(side: str) -> str:
        return (
            f"(SELECT lesson_id FROM quizzes_card WHERE id = {side}.card_id AND retired_at IS NULL)"
        )

    def take(side: str) -> str:
        return (
            f"UPDATE {table} SET {adding(v, '-', 'base_day', of(side))}"
            f" WHERE {COUNTED.format(ms=side)} AND student_id = {side}.student_id"
            f" AND lesson_id = {lesson_of(side)};"
        )

    def give(side: str) -> str:
        return (
            f"INSERT INTO {table} ({COLUMNS}) SELECT {side}.student_id, c.lesson_id, {TODAY[v]},"
            f" 0, {ZEROS} FROM quizzes_card c WHERE {COUNTED.format(ms=side)}"
            f" AND c.id = {side}.card_id AND c.retired_at IS NULL"
            " ON CONFLICT (student_id, lesson_id) DO NOTHING;"
            f" UPDATE {table} SET {adding(v, '+', 'base_day', of(side))}"
            f" WHERE {COUNTED.format(ms=side)} AND student_id = {side}.student_id"
            f" AND lesson_id = {lesson_of(side)};"
        )

    create = [
        f"CREATE TRIGGER quizzes_recall_rollup_state_insert AFTER INSERT ON quizzes_memorystate"
        f" BEGIN {give('NEW')} END",
        f"CREATE TRIGGER quizzes_recall_rollup_state_delete AFTER DELETE ON quizzes_memorystate"
        f" BEGIN {take('OLD')} END",
        f"CREATE TRIGGER quizzes_recall_rollup_state_update AFTER UPDATE OF {STATE_COLUMNS}"
        f" ON quizzes_memorystate BEGIN {take('OLD')} {give('NEW')} END",
        "CREATE TRIGGER quizzes_recall_rollup_card AFTER UPDATE OF retired_at, lesson_id"
        " ON quizzes_card WHEN (OLD.retired_at IS NULL) <> (NEW.retired_at IS NULL)"
        " OR OLD.lesson_id <> NEW.lesson_id BEGIN"
        f" UPDATE {table} SET {adding(v, '-', f'{table}.base_day', of('ms'))}"
        f" FROM quizzes_memorystate AS ms WHERE OLD.retired_at IS NULL AND ms.card_id = OLD.id"
        f" AND {counted} AND {table}.student_id = ms.student_id"
        f" AND {table}.lesson_id = OLD.lesson_id;"
        f" INSERT INTO {table} ({COLUMNS}) SELECT ms.student_id, NEW.lesson_id, {TODAY[v]}, 0,"
        f" {ZEROS} FROM quizzes_memorystate AS ms WHERE NEW.retired_at IS NULL"
        f" AND ms.card_id = NEW.id AND {counted} ON CONFLICT (student_id, lesson_id) DO NOTHING;"
        f" UPDATE {table} SET {adding(v, '+', f'{table}.base_day', of('ms'))}"
        f" FROM quizzes_memorystate AS ms WHERE NEW.retired_at IS NULL AND ms.card_id = NEW.id"
        f" AND {counted} AND {table}.student_id = ms.student_id"
        f" AND {table}.lesson_id = NEW.lesson_id;"
        " END",
    ]
    drop = [
        "DROP TRIGGER IF EXISTS quizzes_recall_rollup_state_insert",
        "DROP TRIGGER IF EXISTS quizzes_recall_rollup_state_delete",
        "DROP TRIGGER IF EXISTS quizzes_recall_rollup_state_update",
        "DROP TRIGGER IF EXISTS quizzes_recall_rollup_card",
    ]
    return create, drop


def _earlier(name: str):
    return importlib.import_module(f"quizzes.migrations.{name}")


def _run(schema_editor, sql) -> None:
    for statement in [sql] if isinstance(sql, str) else sql:
        schema_editor.execute(statement, params=None)


def old_drop(apps, schema_editor):
    """0007's and 0010's triggers go first: SQLite remakes the table to add its columns, which
    a trigger that names it would stop."""
    vendor = schema_editor.connection.vendor
    earlier = _earlier("0007_recallrollup")
    if vendor == "postgresql":
        _run(schema_editor, earlier.postgresql_sql()[1])
    elif vendor == "sqlite":
        _run(schema_editor, earlier.sqlite_sql()[1])
    else:
        raise NotImplementedError(f"recall rollup triggers for {vendor}")


def old_create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    earlier = _earlier("0007_recallrollup")
    if vendor == "postgresql":
        _run(schema_editor, earlier.postgresql_sql()[0])
        _earlier("0010_cheaper_rollup_trigger").forwards(apps, schema_editor)
    elif vendor == "sqlite":
        _run(schema_editor, earlier.sqlite_sql()[0])


def new_create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, (postgresql_sql() if vendor == "postgresql" else sqlite_sql())[0])


def new_drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, (postgresql_sql() if vendor == "postgresql" else sqlite_sql())[1])


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0014_questionversion_feedback"),
    ]

    operations = [
        migrations.RunPython(old_drop, old_create),
        migrations.AddField(
            model_name="memorystate",
            name="decay",
            field=models.FloatField(
                db_default=-0.1542, default=-0.1542, verbose_name="forgetting curve's decay"
            ),
        ),
        migrations.AddField(
            model_name="memorystate",
            name="factor",
            field=models.FloatField(
                db_default=0.9803464944134797,
                default=0.9803464944134797,
                verbose_name="forgetting curve's factor",
            ),
        ),
        migrations.RunPython(new_create, new_drop),
    ]
