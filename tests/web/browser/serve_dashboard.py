"""Serve the API with the dashboard on 127.0.0.1 (the browser tests run this in a subprocess).

python tests/browser/serve_dashboard.py DB PORT [CONFIG]
"""

from __future__ import annotations

import sys

import uvicorn

from supportkpi.web import create_app
from supportkpi.web.dashboard import mount_dashboard


def main(argv: list[str]) -> None:
    db, port = argv[0], int(argv[1])
    config = argv[2] if len(argv) > 2 else None
    app = mount_dashboard(create_app(db, config=config))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1:])
