"""reelprint's admin TUI (Textual). It calls the engine (`reelprint`), never the other way round."""
