"""``python -m sim.cli``: the ``takedown`` command."""

from sim.cli import main

main()
