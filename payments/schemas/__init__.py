"""Wire models of the switch, one module per flow (``pay`` holds the shared transaction shape)."""
