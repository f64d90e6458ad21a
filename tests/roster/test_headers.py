"""Header recognition: case, spacing, punctuation, snake/camel case and accents ignored;
the vendors' headers in English, German and French."""

from __future__ import annotations

import pytest

from app.roster.headers import guess_field, guess_mapping, normalise_header


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Personalnummer", "employee_id"),
        ("Matricule", "employee_id"),
        ("Employee_ID", "employee_id"),
        ("Employee #", "employee_id"),
        ("USERID", "employee_id"),
        ("Vorgesetzter", "manager"),
        ("Führungskraft", "manager"),
        ("FÜHRUNGSKRAFT", "manager"),
        ("Responsable", "manager"),
        ("Reports To", "manager"),
        ("Vorgesetzte:r", "manager"),
        ("Supervisor ID", "manager_id"),
        ("Supervisor EID", "manager_id"),
        ("Manager - ID", "manager_id"),
        ("manager_employee_id", "manager_id"),
        ("Manager Employee ID", "manager_id"),
        ("managerEmployeeId", "manager_id"),
        ("Matricule du responsable", "manager_id"),
        ("Line Manager Email", "manager_email"),
        ("Manager email", "manager_email"),
        ("E-Mail Führungskraft", "manager_email"),
        ("Email du responsable", "manager_email"),
        ("Supervisor Work Email", "manager_email"),  # not listed: the manager-word rule
        ("Manager_Name", "manager_name"),
        ("Work Email", "email"),
        ("Courriel", "email"),
        ("E-Mail-Adresse", "email"),
        ("userPrincipalName", "email"),
        ("Prénom", "first_name"),
        ("givenName", "first_name"),
        ("Legal last name", "last_name"),
        ("Nom de famille", "last_name"),
        ("Full_Name", "name"),
        ("displayName", "name"),
        ("Last Name, First Name", "name"),
        ("Langue", "locale"),
        ("Zeitzone", "time_zone"),
        ("usageLocation", "country"),
        ("Teilnehmer", "learner"),
    ],
)
def test_vendor_headers(header: str, field: str) -> None:
    guess = guess_field(header)
    assert guess is not None and guess[0] == field


def test_normalisation_and_priority() -> None:
    assert normalise_header(" Manager (id or email) ") == "manager"
    assert normalise_header("manager_employee_id") == normalise_header("Manager Employee-ID")
    assert guess_field("Salary") is None and guess_field("Department") is None
    # Entra: mail before userPrincipalName, whatever the column order
    assert guess_mapping(["userPrincipalName", "displayName", "mail"])["email"] == 2
