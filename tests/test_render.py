"""Renderers: one Reply -> Block Kit, Matrix HTML and text; hostile user text in every slot.

Limits quoted from docs/platform-rules.md: Slack at most 50 blocks per message and 3,000 characters of
section text (header 150, field 2,000, button text 75, button value 2,000); Matrix events at most
65,536 bytes, `formatted_body` only from the spec's allowed tags, `a href` only safe schemes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cop_bot.core.model import (
    Actions,
    Block,
    Bold,
    Button,
    Code,
    Context,
    Divider,
    Fields,
    Header,
    Item,
    Link,
    Mention,
    Reply,
    Text,
    reply,
)
from cop_bot.render import matrix, slack
from cop_bot.render import text as plain

SMALL = reply(
    Header("Labour market"),
    Text.of(
        "Ask ",
        Mention("ann", "Ann Lee", "U0ANN"),
        " or ",
        Mention("bob", "Bob", "@bob:example.org"),
        " about ",
        Bold("wage data"),
        ": ",
        Code("/find-expert wages"),
        " or read ",
        Link("https://example.org/guide?a=1&b=2", "the guide"),
        ".",
    ),
    Fields((("Country", ("KE",)), ("Language", ("en",)))),
    Item(title=("Wage survey",), body=("How we ran it",), meta=("2024",)),
    Actions(
        (
            Button("Endorse", "/endorse 12", "primary"),
            Button("Remove", "/remove 12", "danger"),
            Button("More", "/more"),
        )
    ),
    Context(("Page 1 of 1",)),
    Divider(),
    visibility="channel",
)

HOSTILE = [
    "<!channel> hello",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<!subteam^S0123|@team>",
    "@room",
    "@channel",
    "<script>alert(1)</script>",
    "**bold**",
    "*bold*",
    "_it_",
    "~gone~",
    "`code`",
    "[link](javascript:alert(1))",
    "&amp;",
    "> quoted",
    '" onmouseover="alert(1)',
    "\u202eevil\x1b[31m",
]

ALLOWED_MATRIX_TAGS = {  # the spec's list for formatted_body (client-server API, m.room.message)
    *("del", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "p", "a", "ul", "ol", "sup"),
    *("sub", "li", "b", "i", "u", "strong", "em", "s", "code", "hr", "br", "div", "table"),
    *("thead", "tbody", "tr", "th", "td", "caption", "pre", "span", "img", "details"),
    "summary",
}
SAFE_HREF = re.compile(r"(https?://|mailto:|https://matrix\.to/#/@)", re.IGNORECASE)
SLACK_MARKUP = re.compile(r"<(?:(?:https?://|mailto:)[^\s<>|]+(?:\|[^<>]*)?|@[UW][A-Z0-9]{2,})>")


def hostile_reply(t: str) -> Reply:
    """`t` in every slot a user can fill, including ids that must not be trusted."""
    return reply(
        Header(t),
        Text.of(t, Bold(t), " ", Code(t), " ", Link(t, t), " ", Link("https://e.org/", t)),
        Text.of(Mention(t, t, t), " ", Mention(t), " ", Link("javascript:alert(1)", t)),
        Fields(((t, (t,)), ("label", (Bold(t), Mention(t, t, "W" + t))))),
        Item(title=(t, Bold(t), Link(t)), body=(t, Code(t)), meta=(t, Mention(t))),
        Actions((Button(t, t), Button(t, "/x " + t, "danger"))),
        Context((t, Link("mailto:" + t, t))),
        Divider(),
        visibility="channel",
    )


# ---- helpers -----------------------------------------------------------------------------------


def slack_texts(value: Any) -> Iterator[tuple[str, str]]:
    """Every text object in a Block Kit structure as (type, text)."""
    if isinstance(value, dict):
        if value.get("type") in {"mrkdwn", "plain_text"}:
            yield value["type"], value["text"]
        for v in value.values():
            yield from slack_texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from slack_texts(v)


def assert_slack_safe(message: dict[str, Any], mention_ids: Collection[str] = ()) -> None:
    """No `<` reaches Slack except links and mentions this renderer built on purpose."""
    blocks = message["blocks"]
    assert len(blocks) <= slack.MAX_BLOCKS
    assert "<" not in message["text"] and ">" not in message["text"]
    assert len(message["text"]) <= slack.MAX_FALLBACK_TEXT
    for kind, text in slack_texts(blocks):
        assert text.strip(), "Slack rejects empty text"
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), f"bare or cut entity in {text!r}"
        if kind == "plain_text":
            assert "<" not in text and ">" not in text
            continue
        assert len(text) <= slack.MAX_SECTION_TEXT
        rest = SLACK_MARKUP.sub("", text)
        assert "<" not in rest and ">" not in rest, text
        for uid in re.findall(r"<@([^>]*)>", text):
            assert uid in mention_ids
        assert "<!" not in text
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= slack.MAX_HEADER_TEXT
        if block["type"] == "section" and "fields" in block:
            assert 1 <= len(block["fields"]) <= slack.MAX_FIELDS
            assert all(len(f["text"]) <= slack.MAX_FIELD_TEXT for f in block["fields"])
        if block["type"] == "actions":
            assert 1 <= len(block["elements"]) <= slack.MAX_ACTION_ELEMENTS
            for button in block["elements"]:
                assert len(button["text"]["text"]) <= slack.MAX_BUTTON_TEXT
                assert len(button["value"]) <= slack.MAX_BUTTON_VALUE
    action_ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(action_ids) == len(set(action_ids))


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.other: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.other.append(data)

    def handle_decl(self, decl: str) -> None:
        self.other.append(decl)

    def handle_pi(self, data: str) -> None:
        self.other.append(data)

    def unknown_decl(self, data: str) -> None:
        self.other.append(data)


def parse_html(markup: str) -> _Html:
    parser = _Html()
    parser.feed(markup)
    parser.close()
    return parser


def assert_matrix_safe(content: dict[str, Any]) -> _Html:
    """Only allowed tags, only safe hrefs, no raw `<`/`>` from user text, never a room ping."""
    markup = content["formatted_body"]
    assert content["msgtype"] == "m.notice"
    assert content["format"] == "org.matrix.custom.html"
    assert "<script" not in markup.lower()
    ours = re.sub(
        r'</?(?:(?:h4|p|li)(?: dir="auto")?|strong|em|code|ul|br|hr|a(?: href="[^"<>]*")?)>',
        "",
        markup,
    )
    assert "<" not in ours and ">" not in ours, "a < or > that is not one of our tags"
    parsed = parse_html(markup)
    assert not parsed.other
    for tag, attrs in parsed.tags:
        assert tag in matrix.TAGS <= ALLOWED_MATRIX_TAGS
        if tag == "a":
            assert [name for name, _ in attrs] == ["href"]
            assert SAFE_HREF.match(attrs[0][1] or "")
        elif tag in {"h4", "p", "li"}:  # block elements take their direction from their text
            assert attrs == [("dir", "auto")]
        else:
            assert attrs == []
    assert not re.search("@room", content["body"], re.IGNORECASE)
    assert "room" not in content["m.mentions"]
    size = len(json.dumps(content, ensure_ascii=False).encode())
    assert size <= 65_536
    return parsed


# ---- the small reply, exactly ------------------------------------------------------------------


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def test_small_reply_as_block_kit() -> None:
    assert slack.render_blocks(SMALL) == [
        {"type": "header", "text": _plain("Labour market")},
        {
            "type": "section",
            "text": _mrkdwn(
                "Ask <@U0ANN> or @bob about *wage data*: `/find-expert wages` or read "
                "<https://example.org/guide?a=1&amp;b=2|the guide>."
            ),
        },
        {"type": "section", "fields": [_mrkdwn("*Country*\nKE"), _mrkdwn("*Language*\nen")]},
        {"type": "section", "text": _mrkdwn("*Wage survey* — 2024\nHow we ran it")},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "cop_cmd_1",
                    "text": _plain("Endorse"),
                    "value": "/endorse 12",
                    "style": "primary",
                },
                {
                    "type": "button",
                    "action_id": "cop_cmd_2",
                    "text": _plain("Remove"),
                    "value": "/remove 12",
                    "style": "danger",
                },
                {
                    "type": "button",
                    "action_id": "cop_cmd_3",
                    "text": _plain("More"),
                    "value": "/more",
                },
            ],
        },
        {"type": "context", "elements": [_mrkdwn("Page 1 of 1")]},
        {"type": "divider"},
    ]


def test_small_reply_as_slack_message() -> None:
    message = slack.render_message(SMALL)
    assert message["response_type"] == "in_channel"
    assert message["text"] == slack.escape(plain.render(SMALL))
    assert message["blocks"] == slack.render_blocks(SMALL)
    assert slack.render_message(reply(Text.of("hi")))["response_type"] == "ephemeral"
    assert slack.render_message(reply(Text.of("hi"), visibility="dm"))["response_type"] == (
        "ephemeral"
    )
    assert_slack_safe(message, {"U0ANN"})


def test_small_reply_as_matrix_content() -> None:
    content = matrix.render(SMALL)
    assert content == {
        "msgtype": "m.notice",
        "body": (
            "Labour market\n"
            "Ask @ann or @bob about wage data: /find-expert wages or read "
            "the guide (https://example.org/guide?a=1&b=2).\n"
            "Country: KE\nLanguage: en\n"
            "• Wage survey — 2024\n  How we ran it\n"
            "Endorse: !endorse 12  Remove: !remove 12  More: !more\n"
            "Page 1 of 1\n" + "—" * 20
        ),
        "format": "org.matrix.custom.html",
        "formatted_body": (
            '<h4 dir="auto">Labour market</h4>'
            '<p dir="auto">Ask @ann or <a href="https://matrix.to/#/@bob:example.org">Bob</a> about '
            "<strong>wage data</strong>: <code>/find-expert wages</code> or read "
            '<a href="https://example.org/guide?a=1&amp;b=2">the guide</a>.</p>'
            '<ul><li dir="auto"><strong>Country</strong>: KE</li>'
            '<li dir="auto"><strong>Language</strong>: en</li></ul>'
            '<ul><li dir="auto"><strong>Wage survey</strong> — 2024<br>How we ran it</li></ul>'
            '<p dir="auto">Endorse: <code>!endorse 12</code> · Remove: <code>!remove 12</code> · '
            "More: <code>!more</code></p>"
            '<p dir="auto"><em>Page 1 of 1</em></p>'
            "<hr>"
        ),
        "m.mentions": {"user_ids": ["@bob:example.org"]},
    }
    assert_matrix_safe(content)


def test_matrix_prefix_applies_to_button_commands_only() -> None:
    content = matrix.render(SMALL, prefix="cop ")
    assert "<code>cop endorse 12</code>" in content["formatted_body"]
    assert "<code>/find-expert wages</code>" in content["formatted_body"]
    assert "Endorse: cop endorse 12" in content["body"]


def test_consecutive_matrix_items_share_one_list() -> None:
    r = reply(Item(title=("a",)), Item(title=("b",)), Text.of("x"), Item(title=("c",)))
    assert matrix.render(r)["formatted_body"] == (
        '<ul><li dir="auto"><strong>a</strong></li><li dir="auto"><strong>b</strong></li></ul>'
        '<p dir="auto">x</p><ul><li dir="auto"><strong>c</strong></li></ul>'
    )


def test_text_renderer_drops_terminal_escapes() -> None:
    assert (
        plain.render(reply(Text.of("a\x1b[31mb\u202ec", Bold("d\x07")))) == "abcd"
    )  # the whole escape sequence, not only ESC


# ---- escaping ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<!channel> hello", "&lt;!channel&gt; hello"),
        ("<!here>", "&lt;!here&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<!subteam^S1|@team>", "&lt;!subteam^S1|@team&gt;"),
        ("&amp;", "&amp;amp;"),
        ("@channel", "@channel"),
        ("*bold*", "＊bold＊"),
        ("**bold**", "＊＊bold＊＊"),
        ("_it_", "＿it＿"),
        ("~gone~", "～gone～"),
        ("`code`", "｀code｀"),
        ("snake_case 2*3 a~b", "snake_case 2*3 a~b"),
        ("a`b", "a｀b"),
        ("[link](javascript:alert(1))", "[link](javascript:alert(1))"),
    ],
)
def test_slack_escape(raw: str, escaped: str) -> None:
    assert slack.escape(raw) == escaped


@pytest.mark.parametrize("t", HOSTILE)
def test_hostile_text_in_every_slot_stays_text_in_slack(t: str) -> None:
    message = slack.render_message(hostile_reply(t))
    assert_slack_safe(message)
    mrkdwn = "\n".join(text for kind, text in slack_texts(message["blocks"]) if kind == "mrkdwn")
    # No user-typed formatting survives outside our own `*label*`, `*title*` and `*bold*`
    # (code spans are literal in Slack, so what they hold is left as typed).
    mrkdwn = re.sub(r"`[^`]*`|<(?:https?://|mailto:)[^|>]*", "", mrkdwn)
    assert "**" not in mrkdwn
    assert "_it_" not in mrkdwn and "~gone~" not in mrkdwn and "`code`" not in mrkdwn
    assert not re.search(r"<[^@hm]", mrkdwn)  # links are http(s)/mailto, mentions <@U…>


@pytest.mark.parametrize("t", HOSTILE)
def test_hostile_text_in_every_slot_stays_text_in_matrix(t: str) -> None:
    content = matrix.render(hostile_reply(t))
    parsed = assert_matrix_safe(content)
    assert content["m.mentions"] == {}
    visible = "".join(parsed.text)
    if t.isprintable():  # the cleaned text reads back verbatim: escaped, not interpreted
        assert t in visible
    hrefs = [attrs[0][1] or "" for tag, attrs in parsed.tags if tag == "a"]
    assert "https://e.org/" in hrefs
    assert not any(h.lower().startswith(("javascript", "[")) for h in hrefs)


def test_only_real_mentions_become_live() -> None:
    r = reply(
        Text.of(
            Mention("ann", platform_user_id="U0ANN"),
            Mention("w", platform_user_id="W0WORK"),
            Mention("evil", platform_user_id="U1><!channel"),
            Mention("lower", platform_user_id="u0ann"),
            Mention("bob", platform_user_id="@bob:example.org"),
            Mention("eve", platform_user_id="@eve:ex ample.org"),
            Mention("<!channel>"),
        )
    )
    text = slack.render_blocks(r)[0]["text"]["text"]
    assert re.findall(r"<[^>]*>", text) == ["<@U0ANN>", "<@W0WORK>"]
    assert "@evil@lower@bob@eve@&lt;!channel&gt;" in text
    content = matrix.render(r)
    assert content["m.mentions"] == {"user_ids": ["@bob:example.org"]}
    assert content["formatted_body"].count("<a ") == 1


def test_matrix_mentions_are_deduplicated_and_never_the_room() -> None:
    bob = Mention("bob", "Bob <b>", "@bob:example.org")
    r = reply(
        Text.of(bob, " ", Mention("room", platform_user_id="@room:example.org")), Item((bob,))
    )
    content = matrix.render(r)
    assert content["m.mentions"] == {"user_ids": ["@bob:example.org", "@room:example.org"]}
    assert "Bob &lt;b&gt;" in content["formatted_body"]
    assert_matrix_safe(content)


def test_room_ping_is_defused_in_the_matrix_body() -> None:
    content = matrix.render(reply(Header("@room look"), Text.of("hey @ROOM and @roomba")))
    assert content["body"] == "@\u200broom look\nhey @\u200bROOM and @\u200broomba"
    assert "@room look" in content["formatted_body"]
    assert content["m.mentions"] == {}


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://ex.org/a b",
        "https://ex.org/|x",
        "https://ex.org/<!channel>",
        "ftp://ex.org/",
        "//ex.org/",
        "https://",
    ],
)
def test_unsafe_urls_are_plain_text(url: str) -> None:
    r = reply(Text.of(Link(url, "label")))
    mrkdwn = slack.render_blocks(r)[0]["text"]["text"]
    assert "<" not in mrkdwn
    assert mrkdwn.startswith("label (")
    if "|" not in url:  # a `|` only matters to Slack's `<url|label>`
        assert "<a" not in matrix.render(r)["formatted_body"]
    assert_matrix_safe(matrix.render(r))


def test_safe_links() -> None:
    r = reply(
        Text.of(
            Link("HTTPS://ex.org/x?a=1&b=2", "a | b <c>"),
            " ",
            Link("mailto:team@ex.org"),
            " ",
            Link("http://ex.org/", "  "),
        )
    )
    assert slack.render_blocks(r)[0]["text"]["text"] == (
        "<HTTPS://ex.org/x?a=1&amp;b=2|a ｜ b &lt;c&gt;> <mailto:team@ex.org> <http://ex.org/>"
    )
    assert matrix.render(r)["formatted_body"] == (
        '<p dir="auto"><a href="HTTPS://ex.org/x?a=1&amp;b=2">a | b &lt;c&gt;</a> '
        '<a href="mailto:team@ex.org">mailto:team@ex.org</a> '
        '<a href="http://ex.org/">http://ex.org/</a></p>'
    )


def test_code_spans_lose_backticks_and_keep_their_text() -> None:
    r = reply(Text.of(Code("a `b` *c*\n<!here>")))
    assert slack.render_blocks(r)[0]["text"]["text"] == "`a b *c* &lt;!here&gt;`"
    assert matrix.render(r)["formatted_body"] == (
        '<p dir="auto"><code>a `b` *c*<br>&lt;!here&gt;</code></p>'
    )


# ---- limits ------------------------------------------------------------------------------------


def test_long_title_is_cut_cleanly_everywhere() -> None:
    long = "Practice & " * 1000  # 11,000 characters, an `&amp;` every few characters
    r = reply(
        Header(long),
        Item(title=(long,), body=("body",)),
        Text.of(long),
        Fields(((long, (long,)),)),
        Context((Bold(long),)),
        Actions((Button(long, "/x"),)),
    )
    message = slack.render_message(r)
    assert_slack_safe(message)
    header, item, text, fields, context, actions = message["blocks"]
    assert len(header["text"]["text"]) <= 150 and header["text"]["text"].endswith("…")
    assert item["text"]["text"].startswith("*Practice &amp; ")
    assert item["text"]["text"].endswith("…*") and len(item["text"]["text"]) <= 3000
    assert "body" not in item["text"]["text"]
    assert len(text["text"]["text"]) <= 3000 and text["text"]["text"].endswith("&amp;…")
    ampersands = slack.render_blocks(reply(Text.of("&" * 5000)))[0]["text"]["text"]
    assert ampersands == "&amp;" * 599 + "…"  # 2,999 would end in a cut `&amp`
    assert fields["fields"][0]["text"].endswith("*…")
    assert context["elements"][0]["text"].endswith("*…")
    assert len(actions["elements"][0]["text"]["text"]) <= 75
    content = matrix.render(r)
    assert_matrix_safe(content)
    assert len(content["body"]) < 6 * matrix.MAX_STRING + 200


def test_links_and_mentions_are_never_cut_in_half() -> None:
    filler = "x" * 2990
    r = reply(Text.of(filler, Link("https://example.org/a-long-path", "label")))
    assert slack.render_blocks(r)[0]["text"]["text"] == filler + "…"
    r = reply(Text.of("y" * 2995, Mention("ann", platform_user_id="U0ANNABCDEF")))
    assert slack.render_blocks(r)[0]["text"]["text"] == "y" * 2995 + "…"
    r = reply(Text.of("z" * 2900, Link("https://example.org/", "a long label " * 10)))
    text = slack.render_blocks(r)[0]["text"]["text"]
    assert text.startswith("z" * 2900 + "<https://example.org/|a long") and text.endswith(">…")
    assert len(text) == 3000


def test_block_limit_keeps_49_and_says_how_many_more() -> None:
    items = [Item(title=(f"Practice {i}",), meta=("<!channel>",)) for i in range(120)]
    r = reply(Header("Results"), *items, Context(("page 1",)))
    blocks = slack.render_blocks(r)
    assert len(blocks) == 50
    assert blocks[48]["text"]["text"].startswith("*Practice 47*")
    assert blocks[49] == {
        "type": "context",
        "elements": [_mrkdwn("…and 72 more — narrow your search")],
    }
    assert_slack_safe(slack.render_message(r))
    exactly_50 = reply(*items[:50])
    assert len(slack.render_blocks(exactly_50)) == 50
    assert slack.render_blocks(exactly_50)[-1]["type"] == "section"


def test_fields_and_buttons_split_at_slack_limits() -> None:
    fields = Fields(tuple((f"k{i}", (f"v{i}",)) for i in range(23)))
    buttons = Actions(tuple(Button(f"b{i}", f"/b {i}") for i in range(30)))
    more = Actions((Button("again", "/again"), Button("too long", "/x " + "y" * 2000)))
    blocks = slack.render_blocks(reply(fields, buttons, more))
    assert [len(b.get("fields") or b.get("elements") or []) for b in blocks] == [
        10,
        10,
        3,
        25,
        5,
        1,
    ]
    ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert ids == [f"cop_cmd_{i}" for i in range(1, 32)]
    assert blocks[-1]["elements"][0]["value"] == "/again"


def test_empty_blocks_are_left_out_for_slack() -> None:
    r = reply(Header("  "), Text.of(), Text.of("\x1b"), Fields(()), Actions(()), Context(("",)))
    assert slack.render_blocks(r) == []
    blocks = slack.render_blocks(reply(Actions((Button("", "/go"),))))
    assert blocks[0]["elements"][0]["text"]["text"] == "/go"


def test_matrix_event_stays_under_the_size_limit() -> None:
    items = [Item(title=(f"Practice {i}",), body=("<&>" * 5000,)) for i in range(120)]
    content = matrix.render(reply(Header("Results"), *items))
    assert_matrix_safe(content)
    size = len(json.dumps(content, ensure_ascii=False).encode())
    assert size <= matrix.MAX_CONTENT_BYTES + 1000
    assert content["formatted_body"].endswith(
        '</ul><p dir="auto"><em>…and '
        + str(120 - content["formatted_body"].count('<li dir="auto">'))
        + " more — narrow your search</em></p>"
    )
    assert content["body"].endswith("narrow your search")


# ---- properties --------------------------------------------------------------------------------

ANY_TEXT = (
    st.text(max_size=300)
    | st.sampled_from([*HOSTILE, "U0ANN", "@bob:example.org", "https://e.org/?a=<b>"])
    | st.text("<>&!@*_~`|#:/ U1", max_size=40)
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(t=ANY_TEXT)
def test_any_text_in_every_slot_is_safe_in_slack(t: str) -> None:
    r = hostile_reply(t)
    live = {x for x in (t, "W" + t) if slack._SLACK_USER_ID.fullmatch(x)}
    assert_slack_safe(slack.render_message(r), live)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(t=ANY_TEXT)
def test_any_text_in_every_slot_is_safe_in_matrix(t: str) -> None:
    content = matrix.render(hostile_reply(t), prefix=t[:3])
    assert_matrix_safe(content)
    ids = content["m.mentions"].get("user_ids", [])
    assert ids == ([t] if matrix.matrix_user_id(Mention(t, t, t)) else [])


@settings(max_examples=100, deadline=None)
@given(texts=st.lists(ANY_TEXT, min_size=1, max_size=70))
def test_many_blocks_of_any_text(texts: list[str]) -> None:
    blocks: list[Block] = []
    for t in texts:
        blocks += [Item(title=(t,), meta=(t,)), Fields(((t, (t,)),) * 11)]
    r = reply(*blocks)
    assert_slack_safe(slack.render_message(r))
    assert_matrix_safe(matrix.render(r))
