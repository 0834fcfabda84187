"""The same fact has the same accepted answers wherever the course asks it.

Every short-answer question's accepted answers and every cloze blank's alternatives form one
answer list. Two lists that share an answer, once case, punctuation, spacing and a leading "the"
are set aside, ask for the same fact, so they must accept the same answers: the same set once the
grader's own normalisation is applied (so a form one list spells out, such as "the DPRK", must be
spelled out in the other too, whatever the grader does with articles).
"""

import itertools
import re
import unicodedata
from dataclasses import dataclass

import pytest

from content.loader import validate
from quizzes.grading import cloze_parts, normalise


def simple(answer: str) -> str:
    """Casefold, strip punctuation, collapse spacing and drop a leading "the"."""
    text = unicodedata.normalize("NFKC", answer).casefold()
    text = "".join(" " if unicodedata.category(ch).startswith(("P", "S")) else ch for ch in text)
    text = " ".join(text.split())
    return re.sub(r"^the\s+", "", text)


@dataclass(frozen=True)
class AnswerList:
    where: str  # file:line and the item's key (and blank number)
    answers: tuple[str, ...]

    @property
    def facts(self) -> set[str]:
        return {simple(a) for a in self.answers}

    @property
    def accepted(self) -> frozenset[str]:
        return frozenset(normalise(a) for a in self.answers)


def answer_lists(paths) -> list[AnswerList]:
    found: list[AnswerList] = []
    for lesson in validate(paths).lessons:
        doc = lesson.doc
        for i, question in enumerate(lesson.spec.questions):
            if question.type == "short_answer":
                where = f"{doc.display}:{doc.line(('questions', i, 'answers'))} {question.key}"
                found.append(AnswerList(where, tuple(question.answers)))
            elif question.type == "cloze":
                line = doc.line(("questions", i, "text"))
                _, blanks = cloze_parts(question.text)
                for n, blank in enumerate(blanks, start=1):
                    where = f"{doc.display}:{line} {question.key} blank {n}"
                    found.append(AnswerList(where, tuple(blank)))
    return found


def mismatches(lists: list[AnswerList]) -> list[str]:
    return [
        f"{a.where} {list(a.answers)} and {b.where} {list(b.answers)}"
        for a, b in itertools.combinations(lists, 2)
        if a.facts & b.facts and a.accepted != b.accepted
    ]


@pytest.mark.django_db
def test_the_same_fact_has_the_same_accepted_answers_everywhere(bundle):
    lists = answer_lists([bundle])
    assert len(lists) > 20  # the bundle's short answers and cloze blanks were all found
    assert mismatches(lists) == []


def test_the_check_finds_a_fact_whose_lists_differ():
    north_korea = AnswerList("a.yaml:1 q1", ("North Korea", "the DPRK"))
    same = AnswerList("b.yaml:2 q2", ("north korea.", "The DPRK"))
    short = AnswerList("c.yaml:3 q3", ("DPRK",))
    other = AnswerList("d.yaml:4 q4", ("Laos",))
    assert mismatches([north_korea, same, other]) == []
    assert mismatches([north_korea, short]) == [
        "a.yaml:1 q1 ['North Korea', 'the DPRK'] and c.yaml:3 q3 ['DPRK']"
    ]
