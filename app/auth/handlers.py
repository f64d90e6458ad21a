"""Strict approvals: a manager's decision needs a Microsoft sign-in as that manager
(when ``ENTRA_STRICT_APPROVALS`` is on; a mail scanner that runs JavaScript has no session)."""

from __future__ import annotations

from typing import Any

from flask import request

from app.approvals.policy import register_identity_check
from app.auth.strict import require_signed_in_person


def _signed_in_as_the_manager(*, person: Any, region: Any) -> None:
    # aborts with a redirect to sign-in, or a 403 for someone else; back to the same page after
    require_signed_in_person(person, return_to=request.path)


register_identity_check(_signed_in_as_the_manager)
