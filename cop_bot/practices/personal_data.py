"""Signs that a practice names the people it served.

Practices are read by the whole community, so a text that seems to hold a beneficiary's e-mail
address, phone or case number waits for its author to confirm (or edit) before it goes further.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cop_bot.core.i18n import N_, _
from cop_bot.practices.fields import BY_KEY, FIELDS, field_name

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d \t().\-/]{6,}\d(?!\w)")
_THOUSANDS = re.compile(r"\d{1,3}(?:[ .,]\d{3})+")
_MARKER = r"\s*(?:no\.?|nr\.?|n°|n\.|number|num\.?|#|:)\s*[:#]?\s*"
# A passport or permit word followed by a code; a case or file word only with "no."/"#"/":".
_DOCUMENT_NUMBER = re.compile(
    r"\b(?:passports?|passeport|pasaporte|passaporto|reisepass|id card|identity card|"
    r"residence permit|national id|alien number)(?:" + _MARKER + r"|\s+)([A-Z0-9][A-Z0-9/\-]{4,})",
    re.IGNORECASE,
)
_CASE_NUMBER = re.compile(
    r"\b(?:case|file|dossier|reference|ref)" + _MARKER + r"([A-Z0-9][A-Z0-9/\-]{3,})",
    re.IGNORECASE,
)


def _looks_like_phone(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    if len(digits) < 9 or _THOUSANDS.fullmatch(match.strip()):
        return False
    groups = re.findall(r"\d+", match)
    if all(len(g) == 4 and g[:2] in {"19", "20"} for g in groups):  # 2019/2020/2021
        return False
    return match.lstrip().startswith(("+", "0", "(")) or len(digits) >= 10


EMAIL, PHONE, DOCUMENT = "e-mail", "phone", "document"
FOUND_IN = {
    EMAIL: N_("an e-mail address in the {field}"),
    PHONE: N_("a phone number in the {field}"),
    DOCUMENT: N_("a case, file or passport number in the {field}"),
}
"""How each sign is told to the author, one whole phrase each (the field's label fills it)."""


@dataclass(frozen=True)
class Finding:
    what: str
    """`e-mail`, `phone` or `document`."""
    field: str
    """The form key of the field it was found in (`key-factors`)."""


def scan_personal_data(values: Mapping[str, Any]) -> list[Finding]:
    """Signs that a text holds personal data about beneficiaries: e-mail addresses, phone
    numbers, case or passport numbers. Contact details and links are not read: an
    organisation's e-mail address is exactly what `contact:` is for."""
    found: list[Finding] = []
    for spec in FIELDS:
        value = values.get(spec.attr)
        if not spec.scan or not value:
            continue
        text = " ".join(value) if isinstance(value, list) else str(value)
        if _EMAIL.search(text):
            found.append(Finding(EMAIL, spec.key))
        if any(_looks_like_phone(m.group()) for m in _PHONE.finditer(text)):
            found.append(Finding(PHONE, spec.key))
        numbers = [m.group(1) for m in _DOCUMENT_NUMBER.finditer(text)]
        numbers += [m.group(1) for m in _CASE_NUMBER.finditer(text) if _digits(m.group(1)) >= 3]
        if any(_digits(n) >= 2 for n in numbers):
            found.append(Finding(DOCUMENT, spec.key))
    return found


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def describe(findings: Sequence[Finding]) -> str:
    """`an e-mail address in the summary; a phone number in the results`, in the active
    language (the operator's import: English)."""
    return "; ".join(
        _(FOUND_IN[f.what]).format(field=field_name(BY_KEY[f.field])) for f in findings
    )
