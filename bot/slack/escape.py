"""Make untrusted text inert before it reaches Slack markup."""

from __future__ import annotations

# Slack's own rule: in mrkdwn, only &, < and > must be escaped. Escaping `<` is what
# stops an alert from smuggling in <!channel>, <@U123> or a disguised link.
_MRKDWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# Bidirectional overrides and isolates reorder what a reader sees: an alert could
# make `evil.example` read as `elpmaxe.live`. They have no place in alert text.
_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def mrkdwn(text: object, *, limit: int | None = None) -> str:
    """Escape `text` for a mrkdwn field, optionally cut to `limit` characters."""
    value = str(text).translate(_BIDI)
    if limit is not None and len(value) > limit:
        value = value[: max(limit - 1, 0)] + "…"
    return value.translate(_MRKDWN)


def code(text: object, *, limit: int = 200) -> str:
    """Show `text` verbatim in an inline code span.

    A backtick would close the span early and let the rest be read as markup,
    so backticks are replaced by a look-alike.
    """
    value = str(text).replace("`", "ˋ").replace("\n", " ")
    return "`" + mrkdwn(value, limit=limit) + "`"


def plain(text: object, *, limit: int) -> str:
    """Cut text for a plain_text field (Slack does not parse markup there)."""
    value = str(text).translate(_BIDI).replace("\n", " ")
    return value if len(value) <= limit else value[: limit - 1] + "…"
