from sigcheck.cli import main

main()
