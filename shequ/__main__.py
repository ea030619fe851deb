import sys

from shequ.cli import main

sys.exit(main())
