"""Summit's own xAPI 1.0.3 Learning Record Store: statements, documents, attachments and
what a statement does to module progress."""
