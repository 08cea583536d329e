from django.core import checks

from people.checks import retired_settings


def test_a_retired_faces_setting_in_the_environment_is_a_warning(monkeypatch):
    monkeypatch.setenv("FACES_DETECT_SIDE", "1024")
    found = [message for message in checks.run_checks() if message.id == "people.W001"]
    assert len(found) == 1 and found[0].level == checks.WARNING
    assert "FACES_DETECT_PIXELS" in found[0].hint


def test_without_it_nothing_is_said(monkeypatch):
    monkeypatch.delenv("FACES_DETECT_SIDE", raising=False)
    assert retired_settings() == []
