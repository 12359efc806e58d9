"""Caller numbers: classification, masking and pseudonymisation (on ``phonenumbers``).

A telephony adapter hands civiccc whatever the network delivered as the calling number: an
E.164 string, a national number, an empty string, or a token such as ``"anonymous"``.
:func:`classify` turns that into a :class:`CallerInfo` once, at the boundary; routing, queues
and cases work from the result.

>>> info = classify("+1 604 555 1234", region="CA", home_regions=("CA",))
>>> info.kind, info.e164, info.region, info.number_type
(<CallerKind.DOMESTIC: 'domestic'>, '+16045551234', 'CA', 'fixed_line_or_mobile')
>>> classify("+33 6 12 34 56 78").kind.value, classify("+33 6 12 34 56 78").is_mobile
('foreign', True)
>>> classify("Withheld").kind.value, classify("12").kind.value
('anonymous', 'invalid')

Privacy helpers: :func:`mask` for display, :class:`Pseudonymizer` for logs and events.

>>> mask("+16045551234")
'+1604*****34'
>>> p = Pseudonymizer(b"city-secret-key")
>>> p.token("+16045551234") == p.token("604-555-1234")  # same number, same token
True
>>> p.token("+16045551234").startswith("caller:")
True
"""

from __future__ import annotations

import enum
import functools
import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Iterable

import attrs
import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from civiccc.errors import ConfigError

__all__ = [
    "ANONYMOUS_TOKENS",
    "CallerInfo",
    "CallerKind",
    "Classifier",
    "Pseudonymizer",
    "classify",
    "mask",
]

#: Calling-number values that mean "the caller withheld the number" (compared case-insensitively,
#: after stripping whitespace). An empty value or ``None`` is anonymous too.
ANONYMOUS_TOKENS: frozenset[str] = frozenset(
    {"", "anonymous", "private", "restricted", "unavailable", "unknown", "withheld"}
)

_TYPE_NAMES: dict[int, str] = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}


class CallerKind(enum.Enum):
    """The coarse class of a calling number."""

    ANONYMOUS = "anonymous"
    """No number delivered, or a withheld token (see :data:`ANONYMOUS_TOKENS`)."""
    INVALID = "invalid"
    """Something was delivered, but it does not parse or is not a valid number."""
    DOMESTIC = "domestic"
    """A valid number of one of the home regions."""
    FOREIGN = "foreign"
    """A valid number of any other region."""


@attrs.frozen(kw_only=True, slots=False)
class CallerInfo:
    """What civiccc knows about a calling number.

    Attributes:
        kind: Anonymous, invalid, domestic or foreign.
        raw: The value as the network delivered it.
        e164: The number in E.164 form (valid numbers only).
        region: ISO 3166 region code of a valid number (``"CA"``, ``"DE"``, ...).
        number_type: phonenumbers' type in lower case (``"mobile"``, ``"fixed_line"``,
            ``"fixed_line_or_mobile"``, ``"toll_free"``, ...), for valid numbers. Computed on
            first access (it costs as much as parsing), then kept.
    """

    kind: CallerKind
    raw: str
    e164: str | None = None
    region: str | None = None
    _parsed: phonenumbers.PhoneNumber | None = attrs.field(
        default=None, eq=False, repr=False, alias="parsed"
    )

    @functools.cached_property
    def number_type(self) -> str | None:
        """phonenumbers' number type in lower case, for valid numbers (else ``None``)."""
        if self._parsed is None:
            return None
        return _TYPE_NAMES.get(phonenumbers.number_type(self._parsed), "unknown")

    @property
    def is_mobile(self) -> bool:
        """True only for numbers whose type is exactly MOBILE.

        North American numbers are ``fixed_line_or_mobile`` (the numbering plan does not tell),
        so they are *not* mobile here: routing on "mobile" must not guess.
        """
        return self.number_type == "mobile"

    @property
    def is_valid(self) -> bool:
        """True for domestic and foreign numbers."""
        return self.kind is CallerKind.DOMESTIC or self.kind is CallerKind.FOREIGN


def _normalise_region(region: str, what: str) -> str:
    code = str(region).strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        msg = f"unknown region code {region!r} (expected an ISO 3166 code such as 'CA')"
        raise ConfigError(msg, path=what, value=region)
    return code


class Classifier:
    """Classifies calling numbers for one default region and a set of home regions.

    Repeat callers are common (a city's residents call again about the same case), so results
    are memoised by raw string in a bounded LRU memo of ``memo_size`` entries.

    Args:
        region: Region used to parse numbers given without a country code.
        home_regions: Regions whose valid numbers are domestic. Defaults to ``(region,)``.
        memo_size: Maximum number of remembered raw strings (0 disables the memo).

    Raises:
        ConfigError: An unknown region code or a negative memo size.
    """

    __slots__ = ("_home", "_memo", "_memo_size", "region")

    def __init__(
        self,
        region: str = "CA",
        home_regions: Iterable[str] | None = None,
        memo_size: int = 65536,
    ) -> None:
        self.region = _normalise_region(region, "region")
        homes = (self.region,) if home_regions is None else tuple(home_regions)
        if isinstance(home_regions, str):
            homes = (home_regions,)
        self._home = frozenset(
            _normalise_region(r, f"home_regions[{i}]") for i, r in enumerate(homes)
        )
        if memo_size < 0:
            msg = f"memo_size must be >= 0, got {memo_size}"
            raise ConfigError(msg, path="memo_size", value=memo_size)
        self._memo_size = memo_size
        self._memo: OrderedDict[str, CallerInfo] = OrderedDict()

    @property
    def home_regions(self) -> frozenset[str]:
        """The regions whose numbers count as domestic."""
        return self._home

    def classify(self, raw: str | None) -> CallerInfo:
        """Classify one calling number (see :func:`classify`)."""
        key = "" if raw is None else raw
        memo = self._memo
        hit = memo.get(key)
        if hit is not None:
            memo.move_to_end(key)
            return hit
        info = self._classify(key)
        if self._memo_size:
            memo[key] = info
            if len(memo) > self._memo_size:
                memo.popitem(last=False)
        return info

    def clear(self) -> None:
        """Forget all memoised results."""
        self._memo.clear()

    def memo_len(self) -> int:
        """Number of raw strings currently memoised."""
        return len(self._memo)

    def _classify(self, raw: str) -> CallerInfo:
        text = raw.strip()
        if text.lower() in ANONYMOUS_TOKENS:
            return CallerInfo(kind=CallerKind.ANONYMOUS, raw=raw)
        try:
            number = phonenumbers.parse(text, self.region)
        except phonenumbers.NumberParseException:
            return CallerInfo(kind=CallerKind.INVALID, raw=raw)
        if not phonenumbers.is_valid_number(number):
            return CallerInfo(kind=CallerKind.INVALID, raw=raw)
        region = phonenumbers.region_code_for_number(number)
        kind = CallerKind.DOMESTIC if region in self._home else CallerKind.FOREIGN
        return CallerInfo(
            kind=kind,
            raw=raw,
            e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
            region=region,
            parsed=number,
        )


def classify(
    raw: str | None, region: str = "CA", home_regions: Iterable[str] | None = None
) -> CallerInfo:
    """Classify a calling number.

    Args:
        raw: The calling number as delivered (``None`` or a withheld token means anonymous).
        region: Region for numbers without a country code.
        home_regions: Regions counted as domestic (default: ``region`` only).

    For many calls, build one :class:`Classifier` and reuse it (it memoises).
    """
    return Classifier(region, home_regions, memo_size=0).classify(raw)


def mask(number: str | None, *, keep_start: int = 5, keep_end: int = 2) -> str:
    """Mask a number for display: keep the first ``keep_start`` and last ``keep_end`` characters.

    Anonymous values come back as ``"anonymous"``; short values are masked entirely.

    >>> mask("+4989123456789")
    '+4989*******89'
    >>> mask(None), mask("123")
    ('anonymous', '***')
    """
    if number is None or number.strip().lower() in ANONYMOUS_TOKENS:
        return "anonymous"
    text = number.strip()
    if len(text) <= keep_start + keep_end:
        return "*" * len(text)
    return text[:keep_start] + "*" * (len(text) - keep_start - keep_end) + text[-keep_end:]


class Pseudonymizer:
    """Keyed, stable pseudonyms for calling numbers in logs and events.

    The same number gives the same token (so a repeat caller can be counted) whatever format it
    arrived in, as long as it parses to the same E.164 number; without the key a token cannot be
    turned back into a number (HMAC-SHA256, truncated to ``length`` hex characters).

    Args:
        key: The secret key (bytes or str; keep it out of the logs it protects).
        region: Region used to normalise numbers given without a country code.
        length: Number of hex characters in a token (8..64).
    """

    __slots__ = ("_classifier", "_key", "_length")

    def __init__(self, key: bytes | str, *, region: str = "CA", length: int = 16) -> None:
        key_bytes = key.encode() if isinstance(key, str) else bytes(key)
        if len(key_bytes) < 8:
            msg = "a pseudonymisation key needs at least 8 bytes"
            raise ConfigError(msg, path="key")
        if not 8 <= length <= 64:
            msg = f"token length must be between 8 and 64, got {length}"
            raise ConfigError(msg, path="length", value=length)
        self._key = key_bytes
        self._length = length
        self._classifier = Classifier(region, memo_size=4096)

    def token(self, number: str | None) -> str:
        """Return ``"caller:<hex>"`` for a number, or ``"caller:anonymous"``."""
        info = self._classifier.classify(number)
        if info.kind is CallerKind.ANONYMOUS:
            return "caller:anonymous"
        basis = info.e164 or info.raw.strip()
        digest = hmac.new(self._key, basis.encode(), hashlib.sha256).hexdigest()
        return "caller:" + digest[: self._length]
