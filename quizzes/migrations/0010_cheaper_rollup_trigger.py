"""The recall rollup's trigger on memory states (0007) takes a shorter way for the writes that
nearly every review makes: a rating of a card seen before (an update of a state that counts
before and after, same student and card) and a first rating (an insert of a state that counts).
It reads the row's id and day point 0 with the card's lesson in one statement, computes the
sixteen changes in plpgsql, and updates the row by its id if its day points have not moved
meanwhile: two statements, where 0007 ran two lookups of the card, a call of
quizzes_recall_rollup_add and an update whose every column evaluated two recall expressions
(which the executor sets up afresh on every run). When there is no such row (a retired card, a
pair's first state, a row rebuilt meanwhile), and for every other write, the trigger goes 0007's
way, below.

The sums are the same to the bit: each day point adds NEW's recall minus OLD's (minus nothing
for an insert), computed by the same functions in the same order. PostgreSQL only (SQLite's
triggers are plain statements). The SQL is frozen here, like 0007's.
"""

from django.db import migrations

DECAY = -0.1542
FACTOR = 0.9803464944134797
POINTS = 16


def recall(day: str, s: str, t: str) -> str:
    """As 0007's: the recall at 00:00 UTC of `day` of a state (stability `s`, last review `t`)."""
    return f"POWER(1.0 + {FACTOR!r} * GREATEST(({day}) - {t}, 0.0) / {s}, {DECAY!r})"


def delta(k: int) -> str:
    """Day point k's change: NEW's recall minus OLD's, or minus nothing when OLD does not count
    (an insert), as 0007's quizzes_recall_rollup_add computes it."""
    new = recall(f"base + {k}", "NEW.stability", "NEW.last_review_days")
    old = recall(f"base + {k}", "OLD.stability", "OLD.last_review_days")
    return f"d{k} := {new} - COALESCE({old}, 0);"


NEW_COUNTS = "NEW.stability IS NOT NULL AND NEW.last_review_days IS NOT NULL"
OLD_COUNTS = "OLD.stability IS NOT NULL AND OLD.last_review_days IS NOT NULL"

# 0007's way, for every write the shortcut does not take.
GENERAL = """
    IF TG_OP <> 'INSERT' AND OLD.stability IS NOT NULL AND OLD.last_review_days IS NOT NULL THEN
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
            NEW.stability, NEW.last_review_days, OLD.stability, OLD.last_review_days);
        RETURN NULL;
    END IF;
    IF old_lesson IS NOT NULL THEN
        PERFORM quizzes_recall_rollup_add(OLD.student_id, old_lesson, -1,
            NULL, NULL, OLD.stability, OLD.last_review_days);
    END IF;
    IF new_lesson IS NOT NULL THEN
        PERFORM quizzes_recall_rollup_add(NEW.student_id, new_lesson, 1,
            NEW.stability, NEW.last_review_days, NULL, NULL);
    END IF;
    RETURN NULL;"""


def state_function(*, shortcut: bool) -> str:
    """The state trigger's function: with the shortcut (this migration) or without (0007's)."""
    declare, first = "", ""
    if shortcut:
        declare = "".join(f"\n    d{k} double precision;" for k in range(POINTS))
        deltas = "\n".join(f"            {delta(k)}" for k in range(POINTS))
        sums = ", ".join(f"r{k} = r{k} + d{k}" for k in range(POINTS))
        first = f"""
    -- A rating of a card seen before, or a first rating: one read of the row (with the card's
    -- lesson), the changes computed here, and one update of the row by its id, if its day
    -- points are still those the changes were computed for. Else, the general way below.
    IF {NEW_COUNTS} AND (TG_OP = 'INSERT' OR (TG_OP = 'UPDATE'
            AND NEW.student_id = OLD.student_id AND NEW.card_id = OLD.card_id
            AND {OLD_COUNTS})) THEN
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
    END IF;"""
        declare = "\n    row_id bigint;\n    base integer;" + declare
    return f"""
CREATE OR REPLACE FUNCTION quizzes_recall_rollup_state() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_lesson bigint;
    new_lesson bigint;{declare}
BEGIN{first}{GENERAL}
END $$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(state_function(shortcut=True), params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(state_function(shortcut=False), params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0009_accepted_responses"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
