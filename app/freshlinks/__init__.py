"""Signed links from the person's side: the pages of a link that no longer works, and
"send me a fresh link" for every purpose (the tokens themselves are :mod:`app.links`)."""
