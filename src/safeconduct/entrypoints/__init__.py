"""Entry points: the ways in (the command line now, the web app next). Thin by design."""
