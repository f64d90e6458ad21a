"""Every texts module speaks through the catalogs with one signature."""

from __future__ import annotations

from app.approvals import texts as approvals
from app.language import force_reader
from app.masterclasses import texts as masterclasses
from app.progress.texts import failed
from app.roster.texts import refusal_text, roster_reason


def test_one_signature_key_language_parameters():
    assert approvals.text("no_change", "de", name="Jo") == "Keine Änderung für Jo."
    assert approvals.text("no_change", "fr_CA", name="Jo") == "Aucun changement pour Jo."
    assert approvals.text("no_change", name="Jo") == "No change for Jo."
    with force_reader("de_AT"):  # no language given: the one being rendered
        assert approvals.text("no_change", name="Jo") == "Keine Änderung für Jo."
        assert roster_reason("dup_id|4") == "doppelte Personalnummer (zuerst in Zeile 4)"
    assert roster_reason("dup_id|4", "en") == "duplicate employee id (first on line 4)"


def test_a_word_can_mean_two_things_in_context():
    assert masterclasses.status("declined", "de") == "abgesagt"  # an RSVP
    assert approvals.text("choose_action", "de").startswith("Wählen Sie Genehmigen")


def test_refusals_and_import_errors_in_french():
    refusal = {"code": "other_format", "params": {"kind": "pdf"}}
    assert refusal_text(refusal, "fr").startswith(
        "Le fichier a été refusé en entier et rien n'a été appliqué : "
    )
    assert "un document PDF" in refusal_text(refusal, "fr")
    assert failed("empty", "de").startswith("Der Import ist fehlgeschlagen: Die Datei ist leer.")
