"""Allow ``python -m phasediff``."""

from phasediff.cli import main

main()
