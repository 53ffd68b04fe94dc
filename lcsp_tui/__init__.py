"""lcsp-tui: the Prator -> Lifecare SP cutover companion (headless core)."""

__version__ = "0.1.0"
