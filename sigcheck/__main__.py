from sigcheck.cli import run

run()
