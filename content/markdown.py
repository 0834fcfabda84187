"""Authored Markdown to sanitised HTML, footnote references, and the paragraphs of a source."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import unescape
from importlib.metadata import version

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

FOOTNOTE_REF = re.compile(r"\[\^([A-Za-z0-9_-]+)\]")
_WHITESPACE = re.compile(r"\s+")
_HEADING_PUNCTUATION = re.compile(r"[^\w\- ]")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# The inline tokens whose text a heading's id and its table-of-contents entry are made from.
_PLAIN_TOKENS = {"text", "code_inline", "softbreak"}

# CommonMark with raw HTML switched off; nh3 then removes whatever else could run or restyle.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _footnote_ref_rule(state, silent: bool) -> bool:
    """`[^ref]` as a token of its own, found by the inline parser: so that an escaped one
    (`\\[^1]`) or one in a code span stays the text it is."""
    if not state.src.startswith("[^", state.pos):
        return False
    match = FOOTNOTE_REF.match(state.src, state.pos)
    if match is None:
        return False
    if not silent:
        token = state.push("footnote_ref", "", 0)
        token.meta = {"ref": match.group(1)}
    state.pos = match.end()
    return True


def _render_footnote_ref(renderer, tokens, idx, options, env) -> str:
    """A link to the note numbered `env["footnotes"][ref]`, or nothing for a ref not there (the
    loader refuses such files). Without footnotes in `env` (plain text), the ref as written."""
    ref = tokens[idx].meta["ref"]
    if "footnotes" not in env:
        return escape(f"[^{ref}]")
    number = env["footnotes"].get(ref)
    if number is None:
        return ""
    target = escape(f"{env['anchor']}-{number}")
    return f'<sup class="footnote-ref"><a href="#{target}">{number}</a></sup>'


_markdown.inline.ruler.before("link", "footnote_ref", _footnote_ref_rule)
_markdown.add_render_rule("footnote_ref", _render_footnote_ref)
_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h3", "h4", "h5", "h6", "hr", "i",
    "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr",
    "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title", "id", "class"}, "sup": {"id", "class"}}

# Raise RULES_VERSION whenever what render_markdown makes of the same text changes: the Markdown
# options, the allowed tags and attributes, the footnote link. Stored HTML made by another
# RENDERER_VERSION (ours, or another nh3 or markdown-it-py) is stale and is rendered again
# (`manage.py render_markdown`, and every `load_content`).
RULES_VERSION = "2"  # 2: footnote references found by the parser (an escaped one is text)
RENDERER_VERSION = (
    f"{RULES_VERSION}+nh3-{version('nh3')}+markdown-it-py-{version('markdown-it-py')}"
)


def paragraphs(text: str) -> list[str]:
    """A source's paragraphs: its non-empty lines, stripped. Paragraph n is item n - 1."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def collapse_whitespace(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def footnote_refs(text: str) -> list[str]:
    """The refs of the `[^ref]` footnote references in Markdown `text`, in order (not those
    escaped or in code)."""
    refs: list[str] = []
    for block in _markdown.parse(text or ""):
        for token in block.children or []:
            if token.type == "footnote_ref":
                refs.append(token.meta["ref"])
    return refs


def render_markdown(
    text: str, *, footnotes: Mapping[str, int] | None = None, anchor: str = "fn"
) -> SafeString:
    """Render authored Markdown to sanitised HTML.

    `[^ref]` becomes a superscript link to `#<anchor>-<n>` where n is `footnotes[ref]`;
    a ref that is not in `footnotes` is dropped (the loader refuses such files).
    """
    html = _markdown.render(text or "", {"footnotes": footnotes or {}, "anchor": anchor})
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(cleaned)


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


def heading_id(text: str) -> str:
    """A heading's anchor as GitHub makes it, so that links written for the repository work on
    the page too: lowercase, punctuation dropped, spaces as hyphens."""
    return _HEADING_PUNCTUATION.sub("", text.strip().lower()).replace(" ", "-")


def render_document(
    text: str, *, reserved_ids: Iterable[str] = ()
) -> tuple[SafeString, list[Heading]]:
    """Render a whole Markdown document (a page of its own, such as docs/authoring.md) to
    sanitised HTML with the same parser and sanitiser as `render_markdown`, allowing every
    heading level and giving each heading an id; returns the HTML and the headings, in order,
    for a table of contents. An id already taken (by the page around it, `reserved_ids`, or an
    earlier heading) gets "-1", "-2", … as on GitHub. Never stored: RENDERER_VERSION does not
    cover it."""
    tokens = _markdown.parse(text or "")
    taken = set(reserved_ids)
    headings = []
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[i + 1]
        plain = "".join(
            child.content for child in inline.children or [] if child.type in _PLAIN_TOKENS
        )
        base = heading_id(plain) or "section"
        anchor, n = base, 0
        while anchor in taken:
            n += 1
            anchor = f"{base}-{n}"
        taken.add(anchor)
        token.attrSet("id", anchor)
        headings.append(Heading(int(token.tag[1]), anchor, collapse_whitespace(plain)))
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS | _HEADINGS,
        attributes={**_ALLOWED_ATTRIBUTES, **{tag: {"id"} for tag in _HEADINGS}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(cleaned), headings


def render_plain(text: str) -> str:
    """Authored Markdown as one line of plain text (for titles, options and CSV cells).

    The result is text, not HTML: "R2 & co" stays "R2 & co" and "<b>" stays "<b>", so a template
    or widget escapes it exactly once. Never mark it safe.
    """
    html = nh3.clean(_markdown.renderInline(text or ""), tags=set())
    return collapse_whitespace(unescape(html))


# The footnote link render_markdown writes, as stored (nh3 adds the rel). Authored text cannot
# make one: raw HTML is off, so a typed "<sup" is stored escaped.
_FOOTNOTE_LINK = re.compile(
    r'<sup class="footnote-ref"><a href="#fn-(?P<number>\d+)"(?P<attrs>[^>]*)>\d+</a></sup>'
)


def footnotes_by_appearance(
    htmls: list[str], numbers: list[int]
) -> tuple[list[SafeString], list[tuple[int, int, list[str]]]]:
    """Number the footnotes of a page's stored HTML (`htmls`, in page order) in the order the
    reader meets them, as a book does; `numbers` are the stored numbers (the citations' places).

    Returns the HTML with each link renumbered and given an id to come back to (`fnref-3`, then
    `fnref-3-2` for a second link to note 3), and the notes in their new order as (new number,
    stored number, ids of the links to it); notes no text refers to come last, in stored order.
    """
    new_of: dict[int, int] = {}
    links: dict[int, list[str]] = {}

    def renumber(match: re.Match[str]) -> str:
        stored = int(match.group("number"))
        new = new_of.setdefault(stored, len(new_of) + 1)
        ids = links.setdefault(new, [])
        ref_id = f"fnref-{new}" if not ids else f"fnref-{new}-{len(ids) + 1}"
        ids.append(ref_id)
        return (
            f'<sup class="footnote-ref" id="{ref_id}"><a href="#fn-{new}"{match.group("attrs")}>'
            f"{new}</a></sup>"
        )

    # Only HTML this module made and nh3 cleaned passes through here: it stays safe.
    renumbered = [mark_safe(_FOOTNOTE_LINK.sub(renumber, html)) for html in htmls]
    for stored in numbers:
        new_of.setdefault(stored, len(new_of) + 1)
    order = sorted((new, stored, links.get(new, [])) for stored, new in new_of.items())
    return renumbered, order
