"""`python -m sigcheck` and the `sigcheck` command.

`sigcheck server` exactly (how every editor starts it) goes to the language
server without importing the command line: `sigcheck.cli` imports click (~60 ms
of the server's start, more than its own modules), and the server has no option
to parse. Anything else, `sigcheck server --help` included, is the CLI's.
"""

import sys


def main() -> None:
    if sys.argv[1:] == ["server"]:
        from sigcheck.server import serve

        sys.exit(serve())
    from sigcheck.cli import run

    run()


if __name__ == "__main__":
    main()
