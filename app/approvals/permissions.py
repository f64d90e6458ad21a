"""Who may do what on the approval pages (staff); a manager acts through the signed link."""

from __future__ import annotations

from app.auth.models import Role

#: the staff who follow a region's approvals and record decisions given in person
LEAD_ROLES = (Role.LOCAL_LEAD, Role.HR_PARTNER)
