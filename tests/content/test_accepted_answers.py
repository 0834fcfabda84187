"""The same fact has the same accepted answers wherever the course asks it.

Every short-answer question's accepted answers and every cloze blank's alternatives form one
answer list, whose first answer is the one the author means (the others are other ways to say
it). Two lists whose first answers are the same, once case, punctuation, spacing and a leading
"the" are set aside, ask for the same fact, so they must accept the same answers: the same set
once the grader's own normalisation is applied (so a form one list spells out, such as "the
DPRK", must be spelled out in the other too, whatever the grader does with articles).

A blank inside a quotation asks for the source's own word, not the fact: it takes that word
alone, and is left out. Sharing any answer is not enough to be the same fact: "ideology" may
answer "communist ___" where "values" does too (first ¶7 says "shared communist values"), but
not inside Vu's closing words, "a common enemy and a shared ideology". Where the first answers
agree but the facts differ, `DISTINCT` says so, with the reason.
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
    quoted: bool = False  # a blank inside a quotation

    @property
    def fact(self) -> str:
        return simple(self.answers[0])

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
                # An answer with partial credit (or none) is another fact, not another way to
                # say this one.
                right = tuple(a.text for a in question.answers if a.weight == 1)
                found.append(AnswerList(where, right))
            elif question.type == "cloze":
                line = doc.line(("questions", i, "text"))
                texts, blanks = cloze_parts(question.text)
                for n, blank in enumerate(blanks, start=1):
                    where = f"{doc.display}:{line} {question.key} blank {n}"
                    found.append(AnswerList(where, tuple(blank), in_quotation(texts[:n])))
    return found


# Blanks whose first answer is another's, asking for a different fact.
DISTINCT = {
    # Reply ¶1's "a universal ideology": "universal values" would say something else, while
    # "communist values" is the first article's own phrase (first ¶7) for the shared ideology.
    "debate-with-lan-q29 blank 2": "a universal ideology, not values",
}


def in_quotation(before: list[str]) -> bool:
    """Whether a blank that follows these pieces of text stands inside quotation marks."""
    text = "".join(before)
    return text.count("“") > text.count("”") or text.count('"') % 2 == 1


def mismatches(lists: list[AnswerList]) -> list[str]:
    asked = [
        a for a in lists if not a.quoted and not a.where.endswith(tuple(f" {d}" for d in DISTINCT))
    ]
    return [
        f"{a.where} {list(a.answers)} and {b.where} {list(b.answers)}"
        for a, b in itertools.combinations(asked, 2)
        if a.fact == b.fact and a.accepted != b.accepted
    ]


@pytest.mark.django_db
def test_the_same_fact_has_the_same_accepted_answers_everywhere(bundle):
    lists = answer_lists([bundle])
    assert len(lists) > 20  # the bundle's short answers and cloze blanks were all found
    assert mismatches(lists) == []


def test_the_check_finds_a_fact_whose_lists_differ():
    north_korea = AnswerList("a.yaml:1 q1", ("North Korea", "the DPRK"))
    same = AnswerList("b.yaml:2 q2", ("north korea.", "The DPRK"))
    other = AnswerList("d.yaml:4 q4", ("Laos",))
    assert mismatches([north_korea, same, other]) == []
    short = AnswerList("c.yaml:3 q3", ("North Korea", "DPRK"))
    assert mismatches([north_korea, short]) == [
        "a.yaml:1 q1 ['North Korea', 'the DPRK'] and c.yaml:3 q3 ['North Korea', 'DPRK']"
    ]
    quoted = AnswerList("e.yaml:5 q5", ("North Korea",), quoted=True)
    assert mismatches([north_korea, quoted]) == []


def test_a_blank_inside_quotation_marks_is_told_apart():
    assert in_quotation(['Vu closes: "a common ', " and a shared "])
    assert in_quotation(["a “common "])
    assert not in_quotation(['"a common enemy" and a shared '])
    assert not in_quotation(["Laos is strategically "])
