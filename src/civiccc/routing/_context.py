"""What a plugin node sees of a call."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civiccc.numbers import CallerInfo, Classifier

__all__ = ["CallView"]


class CallView:
    """A read-only view of the call for a plugin's decision function.

    Attributes:
        caller: The calling number as delivered (``None`` when withheld).
        ts: The call's instant as epoch seconds.
        variables: The flow variables so far (read-only).
    """

    __slots__ = ("_classifier", "_info", "caller", "ts", "variables")

    def __init__(
        self,
        caller: str | None,
        ts: float,
        variables: Mapping[str, str],
        classifier: Classifier,
    ) -> None:
        self.caller = caller
        self.ts = ts
        self.variables = variables
        self._classifier = classifier
        self._info: CallerInfo | None = None

    @property
    def at(self) -> datetime:
        """The call's instant as an aware UTC datetime."""
        return datetime.fromtimestamp(self.ts, UTC)

    @property
    def info(self) -> CallerInfo:
        """The caller's classification (with the flow's region and home regions)."""
        if self._info is None:
            self._info = self._classifier.classify(self.caller)
        return self._info

    @property
    def e164(self) -> str | None:
        """The caller's number in E.164 form, ``None`` for anonymous and invalid callers."""
        return self.info.e164
