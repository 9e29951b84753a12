"""`python -m ui`: the same as the `workbench-gui` command."""
import sys

from .app import main

sys.exit(main())
