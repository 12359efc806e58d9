"""civiccc: the logic of a municipal contact centre as an embeddable Python SDK.

Packages: :mod:`civiccc.clock`, :mod:`civiccc.calendar`, :mod:`civiccc.numbers`,
:mod:`civiccc.events`, :mod:`civiccc.errors` (core); :mod:`civiccc.routing`,
:mod:`civiccc.queues`, :mod:`civiccc.cases` (domains); :mod:`civiccc.sim` (simulation).
"""

from __future__ import annotations

import logging

from civiccc.errors import CivicccError

__all__ = ["CivicccError", "__version__"]

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
