"""RQ job entry points: thin functions that take ids, call a service and commit."""
