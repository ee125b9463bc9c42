"""``python -m simsales``: the same command line as the ``simsales`` console script."""

from simsales.cli import main

if __name__ == "__main__":
    main()
