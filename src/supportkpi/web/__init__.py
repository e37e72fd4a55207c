"""The HTTP API (FastAPI) over the library: ``create_app(db_path)`` and the token helpers.

>>> from supportkpi.web import create_app
>>> app = create_app("demo.duckdb")          # doctest: +SKIP
"""

from supportkpi.web.app import create_app
from supportkpi.web.state import is_loopback, tokens_required
from supportkpi.web.tokens import create_token, has_tokens, verify_token

__all__ = [
    "create_app",
    "create_token",
    "has_tokens",
    "is_loopback",
    "tokens_required",
    "verify_token",
]
