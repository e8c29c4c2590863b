"""`sigcheck server`: the language server (LSP over stdio) for editors.

Imported only by the `server` subcommand: pygls and lsprotocol are an optional
dependency (`pip install 'sigcheck[server]'`) and cost ~0.5 s of CPU to import, which a
plain `sigcheck Dockerfile` must not pay.

Modules: `positions` (character columns <-> the client's code units), `settings`
(configuration file + editor settings -> lint options), `launch` (the chain for
hover and related information), `engine` (one lint on a worker thread),
`deploy` (the same for a Compose file or Kubernetes manifest), `diagnostics`,
`actions`, `hover`, `documents` (LSP's line breaks for pygls), and `server` (the
protocol wiring and the document/workspace state).
"""

from __future__ import annotations

import sys

__all__ = ["serve"]

INSTALL_HINT = "sigcheck server needs pygls and lsprotocol: pip install 'sigcheck[server]'"


def serve() -> int:
    """Run the server on standard input and output; the exit code LSP asks for (0 after
    `shutdown` then `exit`, 1 when the client exits without `shutdown`)."""
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        print(f"sigcheck: {INSTALL_HINT}", file=sys.stderr)
        return 2
    from sigcheck.server.server import run

    return run()
