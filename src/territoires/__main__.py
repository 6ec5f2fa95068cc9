"""Allow ``python -m territoires``."""

from territoires.cli import main

if __name__ == "__main__":
    main()
