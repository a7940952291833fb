"""`python -m kubelite` is the `kubelite` command."""

from kubelite.cli.main import main

main()
