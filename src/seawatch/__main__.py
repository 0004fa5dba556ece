"""``python -m seawatch``: the same as the ``seawatch`` command."""

from seawatch.cli import main

if __name__ == "__main__":
    main()
