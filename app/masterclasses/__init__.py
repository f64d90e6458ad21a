"""masterclasses."""
