"""Graders, one per question type, and the authored-form-to-stored-form conversion they share.

A question version stores two JSON documents: `body`, which may be shown before the student
answers, and `answer_key`, which must not be. Options are referred to by their index in `body`.
Matching rights and ordering items are stored in a canonical (sorted) order so that `body` never
gives the answer away; views shuffle what they show.

Responses are dicts, as the forms produce them:

| type              | response                         |
| ----------------- | -------------------------------- |
| single_choice     | {"choice": 2}                    |
| multiple_response | {"choices": [0, 2]}              |
| true_false        | {"value": true}                  |
| short_answer      | {"text": "Three Nos"}            |
| numeric           | {"text": "1977"}                 |
| matching          | {"matches": [1, 0, 2]}  right index per left |
| ordering          | {"order": [2, 0, 1]}    item indices, first to last |
| cloze             | {"blanks": ["Cambodia", "1989"]} |

Weights (partial credit per option, GIFT's `%50%`) are part of the meaning and live in
`answer_key`, only where they change a grade (`stored_form`): a key without them grades as
before. Per-option feedback is not part of the meaning: `stored_feedback` makes the document
kept beside the key (`QuestionVersion.feedback`), and `feedback_for` picks what a response gets.
"""

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _

from quizzes.models import QuestionType
from quizzes.numbers import NUMBER_WORDS, read_number

CLOZE_BLANK = re.compile(r"\[\[(.+?)\]\]")
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―/_]+")
# Letters that Unicode does not decompose into a base letter and a mark.
_FOLD = str.maketrans({"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "ß": "ss"})
_ARTICLES = {"a", "an", "the"}
# Per-question options of short-answer and cloze questions, each false unless the author sets it.
TEXT_OPTIONS = ("typos", "case_sensitive", "accent_sensitive")
# The types whose responses are typed: a wrong one may be accepted after the fact (regrade).
FREE_TEXT_TYPES = frozenset({QuestionType.SHORT_ANSWER, QuestionType.NUMERIC, QuestionType.CLOZE})
# The `blank` of a response accepted for the whole answer (not one blank of a cloze).
WHOLE = -1


@dataclass(frozen=True)
class Grade:
    score: float  # 0.0 to 1.0
    correct: bool
    note: str = ""  # shown with the feedback, e.g. that a misspelling was accepted


def normalise(text: str, *, keep_case: bool = False, keep_accents: bool = False) -> str:
    """Fold case, accents, punctuation, invisible characters and spacing: "  Hà-Nội! " and
    "ha noi" are equal, and so are "U.S." and "US" (not "USA": another word).

    `keep_case` and `keep_accents` keep what an author marked as significant; kept accents are
    compared in Unicode's NFKC form, so a letter and its decomposed spelling are equal.
    """
    if keep_accents:
        text = unicodedata.normalize("NFKC", text)
    else:
        text = unicodedata.normalize("NFKD", text.translate(_FOLD))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _SEPARATORS.sub(" ", text if keep_case else text.casefold())
    # Punctuation, symbols, and the invisible: control and format characters (a soft hyphen,
    # a zero-width space) that a copy and paste brings along.
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith(("P", "S", "C")))
    return " ".join(text.split())


def answer_form(text: str, *, keep_case: bool = False, keep_accents: bool = False) -> str:
    """A typed answer as it is compared: `normalise`d, without a leading article ("The Hague"
    is "hague"; "the" alone stays)."""
    words = normalise(text, keep_case=keep_case, keep_accents=keep_accents).split()
    if len(words) > 1 and words[0].casefold() in _ARTICLES:
        words = words[1:]
    return " ".join(words)


def same_answer(a: str, b: str) -> bool:
    """Whether two answer forms are equal, each word allowing its simple English plural."""
    left, right = a.split(), b.split()
    return len(left) == len(right) and all(
        x == y or x in _plurals(y) or y in _plurals(x) for x, y in zip(left, right, strict=True)
    )


def _plurals(word: str) -> set[str]:
    """The simple plurals of an all-letter word: +s from 4 letters ("relic", "base"; not "US",
    "new", "arm", "Lao"), +es after s, x, z, ch, sh from 3 ("box", "glass"), y to ies from 4
    ("ally"). Never of a number, in digits or words ("1980s", "twenties", "thirds" are other
    answers)."""
    if not word.isalpha() or word.casefold() in NUMBER_WORDS:
        return set()
    lower, found = word.casefold(), set()
    if len(word) >= 4 and not lower.endswith("s"):
        found.add(word + "s")
    if len(word) >= 3 and lower.endswith(("s", "x", "z", "ch", "sh")):
        found.add(word + "es")
    if len(word) >= 4 and lower.endswith("y") and lower[-2] not in "aeiou":
        found.add(word[:-1] + "ies")
    return found


def typo_allowance(form: str) -> int:
    """How many edits a near miss of the answer `form` may be off by: none under 5 letters or
    with a digit in it, 1 for 5 to 8 letters, 2 for more."""
    if any(ch.isdigit() for ch in form):
        return 0
    letters = sum(1 for ch in form if ch.isalpha())
    return 0 if letters < 5 else 1 if letters <= 8 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (optimal string alignment: one transposition of adjacent
    letters is one edit), or `limit + 1` as soon as it must be more than `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before, row = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, row = row, current
    return min(row[-1], limit + 1)


def cloze_parts(text: str) -> tuple[list[str], list[list[str]]]:
    """Split cloze text into the text around the blanks and each blank's accepted answers."""
    pieces = CLOZE_BLANK.split(text)
    texts = pieces[0::2]
    blanks = [[alt.strip() for alt in blank.split("|") if alt.strip()] for blank in pieces[1::2]]
    return texts, blanks


def entry_text(entry: str | dict[str, Any]) -> str:
    """The text of an authored choice or short answer: written alone, or as `{text: …}`."""
    return entry if isinstance(entry, str) else entry["text"]


def _entry_weight(entry: str | dict[str, Any]) -> float | None:
    return None if isinstance(entry, str) else entry.get("weight")


def _same_weight(a: float, b: float) -> bool:
    # Moodle writes 1/3 as 33.33333%: a weight that close to another is the same.
    return abs(a - b) <= 1e-6


def _choice_weights(qtype: str, authored: dict[str, Any], answers: set[int]) -> list[float] | None:
    """Each choice's weight, or None where the weights grade as a key without them does: none
    written, a single choice's that give only its answer credit, or a multiple response's of
    1/n for each of its n answers and -1/n for the others (today's scoring)."""
    written = [_entry_weight(entry) for entry in authored["choices"]]
    if all(w is None for w in written):
        return None
    if qtype == QuestionType.SINGLE_CHOICE:
        weights = [1.0 if i in answers else float(w or 0) for i, w in enumerate(written)]
        default = [1.0 if i in answers else 0.0 for i in range(len(written))]
    else:
        weights = [float(w or 0) for w in written]
        share = 1 / len(answers)
        default = [share if i in answers else -share for i in range(len(written))]
    if all(_same_weight(w, d) for w, d in zip(weights, default, strict=True)):
        return None
    return weights


def stored_form(qtype: str, authored: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """From an authored question's type-specific fields (as in a lesson file: a choice or a
    short answer is a text or a `{text, weight, feedback}` mapping) to (body, answer_key).
    Feedback is left out (`stored_feedback`); weights are kept only where they change a grade,
    so that a question written without them keeps the key it always had."""
    match qtype:
        case QuestionType.SINGLE_CHOICE:
            choices = [entry_text(entry) for entry in authored["choices"]]
            answer = choices.index(authored["answer"])
            key: dict[str, Any] = {"choice": answer}
            if (weights := _choice_weights(qtype, authored, {answer})) is not None:
                key["weights"] = weights
            return {"choices": choices}, key
        case QuestionType.MULTIPLE_RESPONSE:
            choices = [entry_text(entry) for entry in authored["choices"]]
            picks = sorted(choices.index(a) for a in authored["answers"])
            key = {"choices": picks}
            if (weights := _choice_weights(qtype, authored, set(picks))) is not None:
                key["weights"] = weights
            return {"choices": choices}, key
        case QuestionType.TRUE_FALSE:
            # Only a non-default choice of words is stored, so that the bodies (and meaning
            # hashes) of the questions written before it existed stay as they were.
            body = {"labels": "yes_no"} if authored.get("labels") == "yes_no" else {}
            return body, {"value": bool(authored["answer"])}
        case QuestionType.SHORT_ANSWER:
            answers = authored["answers"]
            key = {"accepted": [entry_text(a) for a in answers], **_text_options(authored)}
            weights = [1.0 if (w := _entry_weight(a)) is None else float(w) for a in answers]
            if any(w != 1 for w in weights):
                key["weights"] = weights
            also = [(WHOLE, text) for text in authored.get("also_accept") or []]
            return {}, with_accepted(qtype, key, also)
        case QuestionType.NUMERIC:
            body = {"unit": authored["unit"]} if authored.get("unit") else {}
            key = {"value": authored["answer"], "tolerance": authored.get("tolerance") or 0}
            if alternatives := authored.get("alternatives"):
                key["alternatives"] = [
                    {
                        "value": alternative["answer"],
                        "tolerance": alternative.get("tolerance") or 0,
                        "weight": float(alternative["weight"]),
                    }
                    for alternative in alternatives
                ]
            also = [(WHOLE, text) for text in authored.get("also_accept") or []]
            return body, with_accepted(qtype, key, also)
        case QuestionType.MATCHING:
            lefts = [pair["left"] for pair in authored["pairs"]]
            rights = sorted(pair["right"] for pair in authored["pairs"])
            matches = [rights.index(pair["right"]) for pair in authored["pairs"]]
            return {"lefts": lefts, "rights": rights}, {"matches": matches}
        case QuestionType.ORDERING:
            items = sorted(authored["items"])
            return {"items": items}, {"order": [items.index(i) for i in authored["items"]]}
        case QuestionType.CLOZE:
            texts, blanks = cloze_parts(authored["text"])
            key = {"blanks": blanks, **_text_options(authored)}
            also = [
                (number - 1, text)
                for number, texts in (authored.get("also_accept") or {}).items()
                for text in texts
            ]
            return {"texts": texts}, with_accepted(qtype, key, also)
    raise ValueError(f"unknown question type {qtype!r}")


def _by_index(entries: list[Any], feedback_of: Callable[[Any], str]) -> dict[str, str]:
    return {str(i): text for i, entry in enumerate(entries) if (text := feedback_of(entry))}


def _entry_feedback(entry: str | dict[str, Any]) -> str:
    return "" if isinstance(entry, str) else entry.get("feedback") or ""


def stored_feedback(qtype: str, authored: dict[str, Any]) -> dict[str, Any]:
    """The feedback an author wrote for a question's options (`QuestionVersion.feedback`), each
    key only where some was written: `choices` by index into body["choices"], `true`/`false`,
    `answers` by index into the authored answers, or `answer`, `alternatives` (by index) and
    `other` for a numeric question. Not part of the meaning: changed in place."""
    found: dict[str, Any] = {}
    match qtype:
        case QuestionType.SINGLE_CHOICE | QuestionType.MULTIPLE_RESPONSE:
            found["choices"] = _by_index(authored["choices"], _entry_feedback)
        case QuestionType.TRUE_FALSE:
            written = authored.get("feedback") or {}
            found = {name: written.get(name) for name in ("true", "false")}
        case QuestionType.SHORT_ANSWER:
            found["answers"] = _by_index(authored["answers"], _entry_feedback)
        case QuestionType.NUMERIC:
            found["answer"] = authored.get("feedback")
            found["alternatives"] = _by_index(
                authored.get("alternatives") or [], lambda a: a.get("feedback") or ""
            )
            found["other"] = authored.get("other_feedback")
    return {name: value for name, value in found.items() if value}


def meaning_hash(qtype: str, prompt: str, body: dict, answer_key: dict) -> str:
    """What identifies a question version's meaning: a change of any of these is a new one."""
    payload = json.dumps([qtype, prompt, body, answer_key], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def blank_fits(qtype: str, answer_key: dict, blank: int) -> bool:
    """Whether a response may be accepted for `blank` of a question of this type and key."""
    if qtype == QuestionType.CLOZE:
        return 0 <= blank < len(answer_key["blanks"])
    return qtype in FREE_TEXT_TYPES and blank == WHOLE


def blank_still_fits(
    qtype: str, answer_key: dict, later_type: str, later_key: dict, blank: int
) -> bool:
    """Whether a response accepted for `blank` of one version may be accepted for that blank of
    another (a later one): both take it, and the other's key accepts the first's own answer
    there. A blank that now asks for something else (the blanks of a cloze reordered, the
    answer changed) does not take it."""
    if qtype != later_type or not blank_fits(qtype, answer_key, blank):
        return False
    if not blank_fits(later_type, later_key, blank):
        return False
    match qtype:
        case QuestionType.SHORT_ANSWER:
            own = _first_right(answer_key)
        case QuestionType.NUMERIC:
            own = _number_text(answer_key["value"])
        case _:
            own = answer_key["blanks"][blank][0]
    return accepts(later_type, later_key, blank, own)


def accepts(qtype: str, answer_key: dict, blank: int, text: str) -> bool:
    """Whether the key already accepts `text` for `blank` (a near miss, where typos are allowed,
    counts: it is already marked right). A short answer that matches one of its author's
    weighted answers counts too: the author gave it its score (partial credit, or a wrong answer
    recognised to give it feedback), which accepting it after the fact would not change."""
    match qtype:
        case QuestionType.SHORT_ANSWER:
            return _find(answer_key, text, answer_key["accepted"]) is not None
        case QuestionType.NUMERIC:
            return _numeric(answer_key, {"text": text}).correct
        case QuestionType.CLOZE:
            return _match(answer_key, text, answer_key["blanks"][blank]) is not None
    return False


# A numeral or a number word, as `names_another_number` finds the numbers a text names.
_NUMBER_TOKEN = re.compile(r"[0-9][0-9.,]*(?:st|nd|rd|th)?|[^\W\d_]+")


def names_another_number(qtype: str, answer_key: dict, text: str) -> bool:
    """Whether accepting `text` for a numeric question would accept another number than the
    key's: the number the text names is not the key's value within its tolerance, or it names
    several (each run of numerals and number words read on its own) and one of them is not, or
    one cannot be read ("1,97", "6²").
    A text that names no number ("the late seventies") names no other."""
    if qtype != QuestionType.NUMERIC:
        return False
    folded = text.casefold()
    if any(ch.isnumeric() and not "0" <= ch <= "9" for ch in folded):
        return True
    value, tolerance = _exact(answer_key["value"]), _exact(answer_key["tolerance"])
    whole = read_number(folded)
    if whole is not None:  # the numbers it names all agree (read_number)
        return abs(Fraction(whole) - value) > tolerance
    runs: list[tuple[int, int]] = []  # each run of adjacent numerals and number words
    for match in _NUMBER_TOKEN.finditer(folded):
        token = match.group()
        if not token[0].isdigit() and token not in NUMBER_WORDS:
            runs.append((-1, -1))  # another word ends a run
            continue
        if runs and runs[-1][1] >= 0 and not folded[runs[-1][1] : match.start()].strip(" -"):
            runs[-1] = (runs[-1][0], match.end())
        else:
            runs.append((match.start(), match.end()))
    for start, end in runs:
        if start < 0:
            continue
        number = read_number(folded[start:end])
        if number is None or abs(Fraction(number) - value) > tolerance:
            return True
    return False


def accepted_form(answer_key: dict, text: str) -> str:
    """`text` as the key's grader compares it: one accepted response per form."""
    return answer_form(
        text,
        keep_case=answer_key.get("case_sensitive", False),
        keep_accents=answer_key.get("accent_sensitive", False),
    )


def with_accepted(qtype: str, answer_key: dict, extra: list[tuple[int, str]]) -> dict[str, Any]:
    """The key with more accepted texts, each a (blank, text) pair (`WHOLE` for the whole
    answer), in order. Those the key already accepts, and blanks it does not have, are left out,
    so that adding the same texts twice gives the same key."""
    key = {**answer_key}
    if qtype == QuestionType.CLOZE:
        key["blanks"] = [list(alternatives) for alternatives in answer_key["blanks"]]
    for blank, text in extra:
        if (
            not text.strip()
            or not blank_fits(qtype, key, blank)
            or accepts(qtype, key, blank, text)
        ):
            continue
        match qtype:
            case QuestionType.SHORT_ANSWER:
                key["accepted"] = [*key["accepted"], text]
            case QuestionType.NUMERIC:
                key["texts"] = [*key.get("texts", []), text]
            case QuestionType.CLOZE:
                key["blanks"][blank].append(text)
    return key


def wrong_parts(qtype: str, answer_key: dict, response: Any) -> list[tuple[int, str]]:
    """The typed parts of a response that the key does not accept, as (blank, text) pairs:
    what an author or teacher may accept after the fact."""
    if qtype not in FREE_TEXT_TYPES or not isinstance(response, dict):
        return []
    if qtype == QuestionType.CLOZE:
        given = response.get("blanks")
        if not isinstance(given, list) or len(given) != len(answer_key["blanks"]):
            return []
        return [
            (i, text.strip())
            for i, text in enumerate(given)
            if isinstance(text, str) and text.strip() and not accepts(qtype, answer_key, i, text)
        ]
    text = response.get("text")
    if not isinstance(text, str) or not text.strip() or accepts(qtype, answer_key, WHOLE, text):
        return []
    return [(WHOLE, text.strip())]


def _text_options(authored: dict[str, Any]) -> dict[str, bool]:
    """The options an author set; those left false are not stored, so that adding the options
    changed no stored key."""
    return {name: True for name in TEXT_OPTIONS if authored.get(name)}


def _index_list(value: Any) -> list[int] | None:
    if not isinstance(value, list) or not all(_is_index(i) for i in value):
        return None
    return value


def _is_index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _find(key: dict, given: Any, accepted: list[str]) -> tuple[int, str] | None:
    """Which of the accepted answers a typed answer matches (the first in order, an exact
    match before a near miss) and how: "exact" (after `answer_form`) or "typo" (a near miss,
    where the key allows typos); None if none. No text never matches."""
    if not isinstance(given, str):
        return None
    flags = {"keep_case": key.get("case_sensitive", False),
             "keep_accents": key.get("accent_sensitive", False)}  # fmt: skip
    form = answer_form(given, **flags)
    if not form:
        return None
    forms = [answer_form(a, **flags) for a in accepted]
    for i, expected in enumerate(forms):
        if same_answer(form, expected):
            return i, "exact"
    if key.get("typos") and not any(ch.isdigit() for ch in form):
        for i, expected in enumerate(forms):
            allowed = typo_allowance(expected)
            if allowed and edit_distance(form, expected, allowed) <= allowed:
                return i, "typo"
    return None


def _match(key: dict, given: Any, accepted: list[str]) -> str | None:
    """How a typed answer matches one of the accepted answers (`_find`), or None."""
    found = _find(key, given, accepted)
    return found[1] if found else None


def _answer_weight(key: dict, index: int) -> float:
    """The weight of a short answer's accepted text: its author's, or 1 for an unweighted one
    and for those accepted besides the authored answers (`also_accept`, after the fact)."""
    weights = key.get("weights") or []
    return weights[index] if index < len(weights) else 1.0


def _first_right(key: dict) -> str:
    """A short answer's first accepted text worth full marks (the author wrote at least one)."""
    return next(text for i, text in enumerate(key["accepted"]) if _answer_weight(key, i) == 1)


def _spelling_note(matches: list[str | None]) -> str:
    return _("Accepted: check the spelling") if "typo" in matches else ""


def _single(key: dict, response: dict) -> Grade:
    choice = response.get("choice")
    if not _is_index(choice):
        return Grade(0.0, False)
    if choice == key["choice"]:
        return Grade(1.0, True)
    weights = key.get("weights") or []
    return Grade(max(0.0, weights[choice]) if 0 <= choice < len(weights) else 0.0, False)


def _multiple(key: dict, response: dict) -> Grade:
    """Exactly the answers: full marks. Otherwise, with weights, the sum of the picked ones'
    (between 0 and 1); without, a point per answer picked less one per other, over the
    number of answers (at least 0)."""
    picks = _index_list(response.get("choices"))
    if picks is None:
        return Grade(0.0, False)
    chosen, expected = set(picks), set(key["choices"])
    if chosen == expected:
        return Grade(1.0, True)
    if (weights := key.get("weights")) is not None:
        total = sum(weights[i] for i in chosen if 0 <= i < len(weights))
        return Grade(max(0.0, min(1.0, total)), False)
    score = max(0.0, (len(chosen & expected) - len(chosen - expected)) / len(expected))
    return Grade(score, False)


def _true_false(key: dict, response: dict) -> Grade:
    value = response.get("value")
    ok = isinstance(value, bool) and value == key["value"]
    return Grade(1.0 if ok else 0.0, ok)


def _short(key: dict, response: dict) -> Grade:
    """The weight of the first accepted text the response matches; right only at weight 1."""
    found = _find(key, response.get("text"), key["accepted"])
    if found is None:
        return Grade(0.0, False)
    index, how = found
    weight = _answer_weight(key, index)
    return Grade(weight, weight == 1, _spelling_note([how]) if weight > 0 else "")


def _exact(number: float) -> Fraction:
    """A stored number as its author wrote it: 0.3 is 3/10, not the nearest binary fraction."""
    return Fraction(Decimal(repr(number)) if isinstance(number, float) else number)


def _within(value: Any, target: float, tolerance: float) -> bool:
    return abs(Fraction(value) - _exact(target)) <= _exact(tolerance)


def _numeric_match(key: dict, text: Any) -> int | None:
    """What a numeric response matches: the answer (`WHOLE`), or else the first of the
    alternatives whose range holds it (its index); None if neither."""
    value = read_number(text)
    if value is not None and _within(value, key["value"], key["tolerance"]):
        return WHOLE
    # Texts accepted after the fact (`with_accepted`): compared as typed answers are, and
    # never one that names another number, wherever the text came from.
    if (
        key.get("texts")
        and isinstance(text, str)
        and (form := answer_form(text))
        and any(form == answer_form(accepted) for accepted in key["texts"])
        and not names_another_number(QuestionType.NUMERIC, key, text)
    ):
        return WHOLE
    if value is not None:
        for i, alternative in enumerate(key.get("alternatives") or []):
            if _within(value, alternative["value"], alternative["tolerance"]):
                return i
    return None


def _numeric(key: dict, response: dict) -> Grade:
    found = _numeric_match(key, response.get("text"))
    if found is None:
        return Grade(0.0, False)
    weight = 1.0 if found == WHOLE else key["alternatives"][found]["weight"]
    return Grade(weight, weight == 1)


def _pairwise(expected: list, given: list | None) -> Grade:
    if given is None or len(given) != len(expected):
        return Grade(0.0, False)
    right = sum(1 for g, e in zip(given, expected, strict=True) if g == e)
    return Grade(right / len(expected), right == len(expected))


def _matching(key: dict, response: dict) -> Grade:
    return _pairwise(key["matches"], _index_list(response.get("matches")))


def _ordering(key: dict, response: dict) -> Grade:
    order = _index_list(response.get("order"))
    ok = order == key["order"]
    return Grade(1.0 if ok else 0.0, ok)


def _cloze(key: dict, response: dict) -> Grade:
    given = response.get("blanks")
    blanks = key["blanks"]
    if not isinstance(given, list) or len(given) != len(blanks):
        return Grade(0.0, False)
    matches = [_match(key, text, accepted) for text, accepted in zip(given, blanks, strict=True)]
    right = sum(1 for m in matches if m is not None)
    return Grade(right / len(blanks), right == len(blanks), _spelling_note(matches))


GRADERS: dict[str, Callable[[dict, dict], Grade]] = {
    QuestionType.SINGLE_CHOICE: _single,
    QuestionType.MULTIPLE_RESPONSE: _multiple,
    QuestionType.TRUE_FALSE: _true_false,
    QuestionType.SHORT_ANSWER: _short,
    QuestionType.NUMERIC: _numeric,
    QuestionType.MATCHING: _matching,
    QuestionType.ORDERING: _ordering,
    QuestionType.CLOZE: _cloze,
}


def grade(qtype: str, answer_key: dict, response: Any) -> Grade:
    """Grade a response. Any malformed response is simply wrong; it never raises."""
    if not isinstance(response, dict):
        return Grade(0.0, False)
    return GRADERS[qtype](answer_key, response)


def key_response(qtype: str, answer_key: dict) -> dict[str, Any]:
    """The response that the answer key itself would give: it must grade as correct."""
    match qtype:
        case QuestionType.SINGLE_CHOICE:
            return {"choice": answer_key["choice"]}
        case QuestionType.MULTIPLE_RESPONSE:
            return {"choices": list(answer_key["choices"])}
        case QuestionType.TRUE_FALSE:
            return {"value": answer_key["value"]}
        case QuestionType.SHORT_ANSWER:
            return {"text": _first_right(answer_key)}
        case QuestionType.NUMERIC:
            return {"text": str(answer_key["value"])}
        case QuestionType.MATCHING:
            return {"matches": list(answer_key["matches"])}
        case QuestionType.ORDERING:
            return {"order": list(answer_key["order"])}
        case QuestionType.CLOZE:
            return {"blanks": [alts[0] for alts in answer_key["blanks"]]}
    raise ValueError(f"unknown question type {qtype!r}")


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def answer_text(qtype: str, body: dict, answer_key: dict) -> str:
    """The correct answer as a short text, for feedback and the back of a flashcard."""
    match qtype:
        case QuestionType.NUMERIC:
            text = _number_text(answer_key["value"])
            if answer_key.get("tolerance"):
                text += f" (± {_number_text(answer_key['tolerance'])})"
            return f"{text} {body['unit']}" if body.get("unit") else text
        case QuestionType.CLOZE:
            filled = []
            for i, text in enumerate(body["texts"]):
                filled.append(text)
                if i < len(answer_key["blanks"]):
                    filled.append(answer_key["blanks"][i][0])
            return "".join(filled)
    if qtype not in GRADERS:
        raise ValueError(f"unknown question type {qtype!r}")
    return response_text(qtype, body, key_response(qtype, answer_key))


def true_false_labels(body: dict) -> tuple[str, str]:
    """The words of a true/false question's two options, as its author chose them."""
    if body.get("labels") == "yes_no":
        return _("Yes"), _("No")
    return _("True"), _("False")


def response_text(qtype: str, body: dict, response: Any) -> str:
    """A student's response as a short text, for feedback and the attempt review."""
    if not isinstance(response, dict):
        return ""
    try:
        match qtype:
            case QuestionType.SINGLE_CHOICE:
                return body["choices"][response["choice"]]
            case QuestionType.MULTIPLE_RESPONSE:
                return "; ".join(body["choices"][i] for i in response["choices"])
            case QuestionType.TRUE_FALSE:
                yes, no = true_false_labels(body)
                return str(yes if response["value"] else no)
            case QuestionType.SHORT_ANSWER | QuestionType.NUMERIC:
                return str(response["text"])
            case QuestionType.MATCHING:
                return "; ".join(
                    f"{left} → {body['rights'][m]}"
                    for left, m in zip(body["lefts"], response["matches"], strict=True)
                )
            case QuestionType.ORDERING:
                return " → ".join(body["items"][i] for i in response["order"])
            case QuestionType.CLOZE:
                return " · ".join(b if b.strip() else "—" for b in response["blanks"])
    except (KeyError, IndexError, TypeError, ValueError):
        return ""
    return ""


def feedback_for(
    qtype: str, body: dict, answer_key: dict, feedback: dict, response: Any
) -> list[tuple[str, str]]:
    """The feedback its author wrote for what a response chose, as (option, Markdown) pairs:
    each picked choice's (the option is the choice's text), or, with no option to name, the
    feedback for the true or false answered, for the short answer matched, or for the numeric
    answer, the alternative matched or any other number. Show it only once the response is
    recorded; never raises, whatever the response."""
    if not isinstance(response, dict) or not isinstance(feedback, dict) or not feedback:
        return []
    found: list[tuple[str, str | None]] = []
    match qtype:
        case QuestionType.SINGLE_CHOICE | QuestionType.MULTIPLE_RESPONSE:
            if qtype == QuestionType.SINGLE_CHOICE:
                picks = [response.get("choice")]
            else:
                picks = sorted(set(_index_list(response.get("choices")) or []))
            choices = body.get("choices", [])
            for pick in picks:
                if _is_index(pick) and 0 <= pick < len(choices):
                    found.append((choices[pick], feedback.get("choices", {}).get(str(pick))))
        case QuestionType.TRUE_FALSE:
            value = response.get("value")
            if isinstance(value, bool):
                found.append(("", feedback.get("true" if value else "false")))
        case QuestionType.SHORT_ANSWER:
            matched = _find(answer_key, response.get("text"), answer_key.get("accepted", []))
            if matched is not None:
                found.append(("", feedback.get("answers", {}).get(str(matched[0]))))
        case QuestionType.NUMERIC:
            text = response.get("text")
            if isinstance(text, str) and text.strip():
                matched = _numeric_match(answer_key, text)
                if matched is None:
                    found.append(("", feedback.get("other")))
                elif matched == WHOLE:
                    found.append(("", feedback.get("answer")))
                else:
                    found.append(("", feedback.get("alternatives", {}).get(str(matched))))
    return [(option, text) for option, text in found if text]
