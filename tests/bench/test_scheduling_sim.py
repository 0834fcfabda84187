"""The scheduling simulation benchmark (bench/scheduling.py) at a tiny setting, its ground truth
and its schedulers. No database: the deck is read from the course files."""

import math
import random
from dataclasses import replace

import fsrs_rs_python
import pytest
import yaml

from bench import scheduling as sim
from bench.scheduling import GOOD, Moment, Setting, Trace

TINY = Setting(students=3, days=40, fit_day=10, cards=30)
NAMES = ["FSRS default", "FSRS fitted", "SM-2", "Leitner", "Fixed intervals"]
HEADINGS = [
    "Knowledge at the end (cards)",
    "Memorized per hour",
    "Log loss",
    "RMSE",
    "Reviews per student",
    "Minutes per student",
]


@pytest.fixture(scope="module")
def deck() -> sim.Deck:
    return sim.deck_read()


@pytest.fixture(scope="module")
def tiny(deck) -> list[sim.PolicyResult]:
    return sim.run(TINY, deck)


def test_the_deck_is_the_bundled_course_cards_in_lesson_order(bundle, deck):
    course = yaml.safe_load((bundle / "course.yaml").read_text())
    lessons = {}
    for path in (bundle / "lessons").glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        lessons[data["lesson"]["key"]] = data
    order = [key for lesson_set in course["lesson_sets"] for key in lesson_set["lessons"]]
    expected = []
    for key in order:
        expected += [card["key"] for card in lessons[key].get("flashcards", [])]
        expected += [q["key"] for q in lessons[key]["questions"] if q.get("flashcard")]
    assert list(deck.keys) == expected
    assert len(set(deck.keys)) == len(deck.keys) > 0
    assert deck.new_per_day == course["course"]["new_cards_per_day"]


def test_the_table_has_every_scheduler_and_metric(tiny, deck):
    text = sim.report(TINY, tiny, TINY.cards, deck.new_per_day)
    assert text.startswith("Settings: 3 students, 40 days, 10 minutes a day, seed 1, 30 cards")
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert all(heading in table[0] for heading in HEADINGS)
    assert [line.split(" | ")[0].removeprefix("| ") for line in table[2:]] == NAMES
    for row in sim.rows(tiny):
        assert row.scored > 0
        assert 0 < row.log_loss < 1
        assert 0 < row.rmse < 1
        assert row.reviews > 0
        assert 0 < row.minutes <= TINY.days * TINY.minutes + 1  # the last review may run over
    assert "FSRS fitted on day 10" in text
    assert "On the same" in text


def test_knowledge_is_between_none_and_every_card(tiny):
    for result in tiny:
        for student in result.students:
            assert 0 < student.knowledge < TINY.cards


def test_the_same_seed_gives_the_same_results(tiny, deck):
    again = sim.run(TINY, deck)
    assert sim.rows(again) == sim.rows(tiny)
    assert sim.report(TINY, again, 30, 20) == sim.report(TINY, tiny, 30, 20)


def test_another_seed_gives_other_results(tiny, deck):
    other = sim.run(replace(TINY, seed=2), deck)
    assert [row.knowledge for row in sim.rows(other)] != [row.knowledge for row in sim.rows(tiny)]
    assert [row.log_loss for row in sim.rows(other)] != [row.log_loss for row in sim.rows(tiny)]


def test_the_fitted_parameters_differ_from_the_defaults(tiny):
    fitted = next(result for result in tiny if result.name == "FSRS fitted")
    assert fitted.fit is not None
    assert fitted.fit.day == TINY.fit_day
    assert fitted.fit.items > 0
    assert len(fitted.fit.parameters) == len(sim.DEFAULT_PARAMETERS)
    assert any(
        abs(a - b) > 1e-4
        for a, b in zip(fitted.fit.parameters, sim.DEFAULT_PARAMETERS, strict=True)
    )
    # Only the fitted scheduler's reviews after the fit carry the default parameters' prediction.
    assert all(s.reference is not None for s in fitted.scored)
    assert all(s.reference is None for result in tiny[2:] for s in result.scored)


def test_fsrs_default_and_fitted_agree_until_the_fit(deck):
    before = replace(TINY, days=TINY.fit_day)
    default, fitted, *_ = sim.run(before, deck)
    assert default.students == fitted.students


def test_the_command_prints_the_table(capsys):
    assert sim.main(["--students", "2", "--days", "12", "--fit-day", "6", "--cards", "8"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Settings: 2 students, 12 days")
    assert "| FSRS fitted |" in out


@pytest.mark.parametrize(
    "argv", [["--cards", "100000"], ["--cards", "0"], ["--students", "0"], ["--days", "-1"]]
)
def test_the_command_refuses_impossible_settings(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        sim.main(argv)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


# The ground truth --------------------------------------------------------------------------------


def test_recall_falls_with_time_and_is_ninety_percent_after_one_stability():
    w = sim.learner_parameters(1, 0)
    recalls = [sim.recall(w, days, 5.0) for days in (0, 1, 5, 20, 100)]
    assert recalls[0] == 1.0
    assert recalls == sorted(recalls, reverse=True)
    assert len(set(recalls)) == len(recalls)
    assert math.isclose(recalls[2], 0.9)


def test_a_card_reviewed_more_often_is_recalled_better():
    w = sim.learner_parameters(1, 0)
    once = sim.trace_start(w, 0.0, GOOD, 0.0, 0)
    more = once
    for day in (2, 6, 15):
        more = sim.trace_review(w, more, 0.0, GOOD, float(day), day)
    assert more.reviews == 4
    assert more.recall_at(w, 40.0) > once.recall_at(w, 40.0)
    assert more.stability > once.stability


def test_a_harder_card_is_forgotten_sooner():
    w = sim.learner_parameters(1, 0)
    easy = sim.trace_start(w, -1.0, GOOD, 0.0, 0)
    hard = sim.trace_start(w, 1.0, GOOD, 0.0, 0)
    easy = sim.trace_review(w, easy, -1.0, GOOD, 3.0, 3)
    hard = sim.trace_review(w, hard, 1.0, GOOD, 3.0, 3)
    assert hard.difficulty > easy.difficulty
    assert hard.recall_at(w, 30.0) < easy.recall_at(w, 30.0)


def test_students_differ_and_are_drawn_from_the_seed():
    assert sim.learner_parameters(1, 0) == sim.learner_parameters(1, 0)
    students = {sim.learner_parameters(1, i) for i in range(5)}
    assert len(students) == 5
    assert len({w[20] for w in students}) == 5  # the decay varies too
    assert sim.learner_parameters(2, 0) != sim.learner_parameters(1, 0)


def test_the_ground_truth_of_a_default_student_is_fsrs_6():
    """With the default parameters and no card offset, the truth's stability and difficulty
    are fsrs-rs's memory state after the same reviews (same-day and later-day ones)."""
    w = sim.DEFAULT_PARAMETERS
    history = [(0, 3), (0, 3), (2, 1), (2, 3), (5, 3), (14, 2), (40, 4)]
    trace: Trace | None = None
    reviews = []
    last_day = 0
    for step, (day, rating) in enumerate(history):
        at = day + step / 1440  # a minute apart within a day
        if trace is None:
            trace = sim.trace_start(w, 0.0, rating, at, day)
        else:
            trace = sim.trace_review(w, trace, 0.0, rating, at, day)
        reviews.append(fsrs_rs_python.FSRSReview(rating, day - last_day))
        last_day = day
    state = fsrs_rs_python.FSRS(list(w)).memory_state(fsrs_rs_python.FSRSItem(reviews))
    assert math.isclose(trace.stability, state.stability, rel_tol=1e-3)
    assert math.isclose(trace.difficulty, state.difficulty, rel_tol=1e-3)


def test_ratings_follow_the_true_recall():
    rng = random.Random(0)
    ratings = [sim.rating_drawn(rng, 0.8) for _ in range(4000)]
    assert 0.77 < sum(r > sim.AGAIN for r in ratings) / len(ratings) < 0.83
    assert {sim.rating_drawn(rng, 1.0) for _ in range(200)} == {2, 3, 4}
    assert {sim.rating_drawn(rng, 0.0) for _ in range(50)} == {sim.AGAIN}
    assert {sim.rating_drawn(rng, None) for _ in range(200)} == {1, 2, 3, 4}


# The schedulers ----------------------------------------------------------------------------------


def test_fsrs_counts_study_days_not_24_hour_periods():
    """A review late on day 0 and one early on day 1 are a day apart, as fsrs-rs counts them."""
    policy = sim.FsrsDefault(learning_steps=False)
    memory, _ = policy.review(policy.start(), GOOD, Moment(0, 3000))
    memory, interval = policy.review(memory, GOOD, Moment(1, 100))
    expected = fsrs_rs_python.FSRS(list(sim.DEFAULT_PARAMETERS)).memory_state(
        fsrs_rs_python.FSRSItem(
            [fsrs_rs_python.FSRSReview(GOOD, 0), fsrs_rs_python.FSRSReview(GOOD, 1)]
        )
    )
    assert math.isclose(memory.card.stability, expected.stability, rel_tol=1e-4)
    assert interval >= 1
    assert math.isclose(policy.predict(memory, Moment(1 + round(interval), 0)), 0.9, abs_tol=0.02)


def test_fsrs_has_production_learning_steps():
    policy = sim.FsrsDefault()
    memory, interval = policy.review(policy.start(), GOOD, Moment(0, 0))
    assert interval * 1440 == pytest.approx(10)
    assert policy.cost_row(memory) == sim.LEARNING
    memory, interval = policy.review(memory, GOOD, Moment(0, 600))
    assert interval >= 1
    assert policy.cost_row(memory) == sim.REVIEW


def _intervals(policy, ratings):
    memory, intervals = policy.start(), []
    day = 0
    for rating in ratings:
        memory, interval = policy.review(memory, rating, Moment(day, 0))
        intervals.append(interval)
        day += int(interval)
    return intervals


def test_sm2_leitner_and_fixed_intervals():
    assert _intervals(sim.Sm2(), [GOOD, GOOD, GOOD, sim.AGAIN, GOOD, GOOD]) == [1, 6, 15, 1, 1, 6]
    assert _intervals(sim.Leitner(), [GOOD] * 8 + [sim.AGAIN]) == [1, 2, 4, 8, 16, 32, 64, 64, 1]
    fixed = [1, 3, 7, 14, 30, 60, 60]
    assert _intervals(sim.Fixed(), [GOOD] * 7) == fixed
    assert _intervals(sim.Fixed(), [sim.AGAIN] * 7) == fixed


def test_day_based_predictions_are_ninety_percent_after_one_interval():
    policy = sim.Leitner()
    memory, interval = policy.review(policy.start(), GOOD, Moment(3, 0))
    assert policy.predict(memory, Moment(3 + int(interval), 0)) == pytest.approx(0.9)
    assert policy.predict(memory, Moment(3 + 3 * int(interval), 0)) == pytest.approx(0.729)
