"""The last staff pages marked for issue 23 (progress and roster imports, the progress
connector, operations) render in every catalog language: the staff member's browser
language, with no English words of the page left and a catalog message whose
placeholders fit the page."""

from __future__ import annotations

import pytest

from app.auth.models import Role
from app.language import SUPPORTED_LOCALES
from tests.factories import staff
from tests.progress.helpers import make_course

#: a phrase of each page, in each language (from translations/<locale>/messages.po)
HEADINGS = {
    "en": ("Recent imports", "Set up a connector", "Outbox"),
    "de": ("Letzte Importe", "Connector einrichten", "Postausgang"),
    "fr": ("Imports récents", "Configurer un connecteur", "Boîte d'envoi"),
    "es": ("Importaciones recientes", "Configurar un conector", "Bandeja de salida"),
    "it": ("Importazioni recenti", "Configura un connettore", "Posta in uscita"),
    "pt_BR": ("Importações recentes", "Configurar um conector", "Caixa de saída"),
    "pl": ("Ostatnie importy", "Skonfiguruj konektor", "Skrzynka nadawcza"),
    "nl": ("Recente imports", "Een koppeling instellen", "Postvak uit"),
    "ja": ("最近のインポート", "コネクターを設定", "送信トレイ"),
    "zh_Hans_CN": ("最近的导入", "设置连接器", "发件箱"),
}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_import_connector_and_operations_pages_in_every_language(login_as, locale) -> None:
    course = make_course()
    client = login_as(staff(Role.GLOBAL_ADMIN))
    header = {"Accept-Language": locale.replace("_", "-")}
    slug = course.rollout.slug
    imports, connector, ops = HEADINGS[locale]
    pages = {
        f"/r/de/rollouts/{slug}/progress": (imports, "Upload and import"),
        f"/r/de/rollouts/{slug}/progress/connector": (connector, "Save the connector"),
        "/ops/": (ops, "Failed imports"),
        f"/r/de/rollouts/{slug}/roster": (None, None),
    }
    for path, (phrase, english) in pages.items():
        response = client.get(path, headers=header)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert f'lang="{locale.replace("_", "-")}' in html, path
        if phrase:
            assert phrase in html, (path, phrase)
        if english and locale != "en":
            assert english not in html, (path, english)
